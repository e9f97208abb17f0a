/** Membership fixed by a genesis configuration, and the local tunables of a replica. */
package org.ehrledger.consensus.config;

/**
 * Membership fixed by a genesis configuration ({@link org.ehrledger.consensus.config.ClusterConfig}), and the
 * local tunables of a replica and of a client, built by builders that reject values out of range.
 */
package org.ehrledger.consensus.config;

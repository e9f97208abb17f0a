/**
 * The consensus gateway: the replica, its JGroups channel and the PBFT client that session beans submit
 * through, wired into the application server (managed threads, JTA, MicroProfile Config).
 */
package org.ehrledger.ejb.infrastructure.consensus;

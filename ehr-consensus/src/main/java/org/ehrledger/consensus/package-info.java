/**
 * Practical Byzantine Fault Tolerance (Castro and Liskov, OSDI '99 / TOCS '02) as a plain Java library.
 *
 * <p>The protocol core ({@link org.ehrledger.consensus.core.Replica}) is single-threaded, owns no
 * sockets, threads or database, and asks its host for a handful of small interfaces in
 * {@link org.ehrledger.consensus.api}. {@link org.ehrledger.consensus.core.ReplicaRunner} drives it on
 * a thread of its own in production, as part of a {@link org.ehrledger.consensus.node.ConsensusNode};
 * tests drive it message by message through a simulated network ({@link org.ehrledger.consensus.testfwk}).
 */
package org.ehrledger.consensus;

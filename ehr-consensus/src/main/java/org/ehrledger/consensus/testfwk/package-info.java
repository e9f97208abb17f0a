/**
 * A deterministic, seeded, in-memory network and cluster for driving replicas message by message, in
 * the manner of jgroups-raft's {@code testfwk}: delay, loss, reordering, duplication, partitions,
 * crashes and restarts from the durable log, and interceptors that turn a replica Byzantine.
 * Everything runs on the caller's thread in simulated time, so a seed reproduces a run exactly.
 */
package org.ehrledger.consensus.testfwk;

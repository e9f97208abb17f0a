/**
 * The PBFT replica: a single-threaded state machine split by phase around a shared {@code ReplicaState} —
 * normal case ({@code NormalCase}), checkpoints ({@code Checkpointing}), view change ({@code ViewChanges})
 * and state transfer ({@code StateTransfer}). A phase reaches the others only through the small interfaces
 * {@code Ordering}, {@code Checkpoints}, {@code Views} and {@code Synchronizer}, so each is unit-tested with
 * fakes of the others. The stateless, thread-safe {@link org.ehrledger.consensus.core.MessageValidator}
 * checks signatures and certificates before a message reaches the core.
 */
package org.ehrledger.consensus.core;

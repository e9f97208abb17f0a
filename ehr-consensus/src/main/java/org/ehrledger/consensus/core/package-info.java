/**
 * The PBFT replica: a single-threaded state machine split by phase around a shared
 * {@link org.ehrledger.consensus.core.ReplicaState} — normal case ({@code NormalCase}), checkpoints
 * ({@code Checkpointing}), view change ({@code ViewChanges}) and state transfer ({@code StateTransfer}) —
 * plus the stateless, thread-safe {@link org.ehrledger.consensus.core.MessageValidator} that checks
 * signatures and certificates before a message reaches the core.
 */
package org.ehrledger.consensus.core;

package org.ehrledger.consensus.core;

/**
 * What the normal case and checkpointing ask of state transfer ({@link StateTransfer}); SmartBFT gives the
 * same role the same name.
 */
interface Synchronizer {

    /** Whether the replica is fetching state it needs before it can order new batches. */
    boolean active();

    /** A checkpoint at {@code sequence} is certified by others but not yet executed here. */
    void behind(long sequence);

    /** This replica's state at {@code sequence} contradicts 2f+1 replicas: fetch theirs. */
    void repair(long sequence);

    /** Traffic from a view above ours arrived: ask the peers for their new view (rate limited). */
    void noteFutureView();

    /** Ordering is stuck: ask the others for batches they committed beyond ours. */
    void askForCommitted();
}

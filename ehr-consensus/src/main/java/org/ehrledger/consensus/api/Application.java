package org.ehrledger.consensus.api;

import java.util.List;

/**
 * The replicated state machine. Every correct replica calls it with the same batches in the same
 * order; it must be deterministic (no wall clock, no randomness, no local configuration in results).
 */
public interface Application {

    /**
     * Executes one committed batch in sequence order and returns exactly one result per operation of
     * {@link OrderedBatch#operations()}, in the same order.
     */
    List<byte[]> execute(OrderedBatch batch);

    /** The sequence number of the last batch this application has durably applied (0 when new). */
    long lastExecuted();

    /** A canonical encoding of the whole state as of {@link #lastExecuted()}; its hash is the checkpoint digest. */
    byte[] snapshot();

    /** Replaces the whole state with a snapshot produced by {@link #snapshot()} of a correct replica at {@code sequence}. */
    void restore(byte[] snapshot, long sequence);

    /**
     * The sequence number of the batch whose execution revoked a consensus client, or 0 while the client
     * is admitted. Revocation is part of the replicated state, changed only by executing an ordered
     * operation, so every correct replica gives the same answer at the same point of the order. The
     * replicas refuse a client revoked at sequence s in every batch numbered above s + L (L the
     * watermark window): a replica can accept such a batch only after it executed s, so every correct
     * replica judges every batch alike. The default admits every client of the directory for good.
     */
    default long clientRevokedAt(int clientId) {
        return 0;
    }
}

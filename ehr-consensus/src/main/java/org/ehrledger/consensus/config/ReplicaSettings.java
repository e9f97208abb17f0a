package org.ehrledger.consensus.config;

/**
 * Local tunables of a replica; they may differ between replicas without affecting safety.
 *
 * @param maxBatchRequests   most requests in one batch
 * @param maxBatchBytes      most request bytes in one batch
 * @param batchDelayMillis   longest a request waits for a batch to fill while others are in flight
 * @param maxInFlightBatches batches proposed but not yet executed (pipelining depth)
 * @param viewChangeTimeoutMillis  initial time a backup waits for a known request to execute
 * @param maxViewChangeTimeoutMillis cap of the exponential back-off
 * @param stateTransferRetryMillis  interval between state requests while behind
 * @param maxClockSkewMillis  how far a proposed consensus timestamp may be from the local clock
 * @param maxPendingRequests  bound of the queue of requests waiting for a batch
 * @param maxPendingBytes     bound of that queue in bytes
 * @param replyCacheSize      replies kept per client for retransmitted requests
 */
public record ReplicaSettings(int maxBatchRequests, int maxBatchBytes, long batchDelayMillis, int maxInFlightBatches,
                              long viewChangeTimeoutMillis, long maxViewChangeTimeoutMillis,
                              long stateTransferRetryMillis, long maxClockSkewMillis, int maxPendingRequests,
                              long maxPendingBytes, int replyCacheSize) {

    /** Defaults suited to a LAN or one machine. */
    public static ReplicaSettings defaults() {
        return new ReplicaSettings(512, 1 << 20, 5, 8, 2_000, 60_000, 500, 120_000, 50_000, 256L << 20, 128);
    }

    /** A copy with another batch size limit. */
    public ReplicaSettings withMaxBatchRequests(int v) {
        return new ReplicaSettings(v, maxBatchBytes, batchDelayMillis, maxInFlightBatches, viewChangeTimeoutMillis,
                maxViewChangeTimeoutMillis, stateTransferRetryMillis, maxClockSkewMillis, maxPendingRequests,
                maxPendingBytes, replyCacheSize);
    }

    /** A copy with another pipeline depth (batches proposed and not yet executed) and batch delay. */
    public ReplicaSettings withPipeline(int inFlightBatches, long delayMillis) {
        return new ReplicaSettings(maxBatchRequests, maxBatchBytes, delayMillis, inFlightBatches, viewChangeTimeoutMillis,
                maxViewChangeTimeoutMillis, stateTransferRetryMillis, maxClockSkewMillis, maxPendingRequests,
                maxPendingBytes, replyCacheSize);
    }

    /** A copy with another initial view-change timeout. */
    public ReplicaSettings withViewChangeTimeoutMillis(long v) {
        return new ReplicaSettings(maxBatchRequests, maxBatchBytes, batchDelayMillis, maxInFlightBatches, v,
                maxViewChangeTimeoutMillis, stateTransferRetryMillis, maxClockSkewMillis, maxPendingRequests,
                maxPendingBytes, replyCacheSize);
    }
}

package org.ehrledger.consensus.api;

import static org.ehrledger.consensus.api.Settings.atLeast;
import static org.ehrledger.consensus.api.Settings.notBelow;

/**
 * Local tunables of a replica; they may differ between replicas without affecting safety. Built with
 * {@link #builder()}, which starts from the {@linkplain #defaults() defaults} and rejects values the
 * replica cannot run with.
 */
public final class ReplicaSettings {

    private final int maxBatchRequests;
    private final int maxBatchBytes;
    private final long batchDelayMillis;
    private final int maxInFlightBatches;
    private final long viewChangeTimeoutMillis;
    private final long maxViewChangeTimeoutMillis;
    private final long stateTransferRetryMillis;
    private final long maxClockSkewMillis;
    private final int maxPendingRequests;
    private final long maxPendingBytes;
    private final int replyCacheSize;

    private ReplicaSettings(Builder b) {
        maxBatchRequests = atLeast("maxBatchRequests", b.maxBatchRequests, 1);
        maxBatchBytes = atLeast("maxBatchBytes", b.maxBatchBytes, 1);
        batchDelayMillis = atLeast("batchDelayMillis", b.batchDelayMillis, 0);
        maxInFlightBatches = atLeast("maxInFlightBatches", b.maxInFlightBatches, 1);
        viewChangeTimeoutMillis = atLeast("viewChangeTimeoutMillis", b.viewChangeTimeoutMillis, 1);
        maxViewChangeTimeoutMillis = notBelow("maxViewChangeTimeoutMillis", b.maxViewChangeTimeoutMillis,
                "viewChangeTimeoutMillis", b.viewChangeTimeoutMillis);
        stateTransferRetryMillis = atLeast("stateTransferRetryMillis", b.stateTransferRetryMillis, 1);
        maxClockSkewMillis = atLeast("maxClockSkewMillis", b.maxClockSkewMillis, 1);
        maxPendingRequests = atLeast("maxPendingRequests", b.maxPendingRequests, 1);
        maxPendingBytes = notBelow("maxPendingBytes", b.maxPendingBytes, "maxBatchBytes", b.maxBatchBytes);
        replyCacheSize = atLeast("replyCacheSize", b.replyCacheSize, 1);
    }

    /** Defaults suited to a LAN or one machine. */
    public static ReplicaSettings defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Most requests in one batch. */
    public int maxBatchRequests() {
        return maxBatchRequests;
    }

    /** Most request bytes in one batch. */
    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /** Longest a request waits for a batch to fill while others are in flight. */
    public long batchDelayMillis() {
        return batchDelayMillis;
    }

    /** Batches proposed but not yet executed (pipelining depth). */
    public int maxInFlightBatches() {
        return maxInFlightBatches;
    }

    /** Initial time a backup waits for a known request to execute. */
    public long viewChangeTimeoutMillis() {
        return viewChangeTimeoutMillis;
    }

    /** Cap of the exponential back-off of the view-change timeout. */
    public long maxViewChangeTimeoutMillis() {
        return maxViewChangeTimeoutMillis;
    }

    /** Interval between state requests while behind. */
    public long stateTransferRetryMillis() {
        return stateTransferRetryMillis;
    }

    /** How far a proposed consensus timestamp may be from the local clock. */
    public long maxClockSkewMillis() {
        return maxClockSkewMillis;
    }

    /** Bound of the queue of requests waiting for a batch. */
    public int maxPendingRequests() {
        return maxPendingRequests;
    }

    /** Bound of that queue in bytes. */
    public long maxPendingBytes() {
        return maxPendingBytes;
    }

    /** Replies kept per client for retransmitted requests. */
    public int replyCacheSize() {
        return replyCacheSize;
    }

    /** Collects replica settings; {@link #build()} checks them. */
    public static final class Builder {

        private int maxBatchRequests = 512;
        private int maxBatchBytes = 1 << 20;
        private long batchDelayMillis = 5;
        private int maxInFlightBatches = 8;
        private long viewChangeTimeoutMillis = 2_000;
        private long maxViewChangeTimeoutMillis = 60_000;
        private long stateTransferRetryMillis = 500;
        private long maxClockSkewMillis = 120_000;
        private int maxPendingRequests = 50_000;
        private long maxPendingBytes = 256L << 20;
        private int replyCacheSize = 128;

        private Builder() {
        }

        /** Most requests in one batch (at least 1). */
        public Builder maxBatchRequests(int v) {
            maxBatchRequests = v;
            return this;
        }

        /** Most request bytes in one batch (at least 1). */
        public Builder maxBatchBytes(int v) {
            maxBatchBytes = v;
            return this;
        }

        /** Longest a request waits for a batch to fill while others are in flight (0 or more). */
        public Builder batchDelayMillis(long v) {
            batchDelayMillis = v;
            return this;
        }

        /** Batches proposed but not yet executed (at least 1). */
        public Builder maxInFlightBatches(int v) {
            maxInFlightBatches = v;
            return this;
        }

        /** Initial time a backup waits for a known request to execute (positive). */
        public Builder viewChangeTimeoutMillis(long v) {
            viewChangeTimeoutMillis = v;
            return this;
        }

        /** Cap of the view-change back-off (not below the initial timeout). */
        public Builder maxViewChangeTimeoutMillis(long v) {
            maxViewChangeTimeoutMillis = v;
            return this;
        }

        /** Interval between state requests while behind (positive). */
        public Builder stateTransferRetryMillis(long v) {
            stateTransferRetryMillis = v;
            return this;
        }

        /** How far a proposed consensus timestamp may be from the local clock (positive). */
        public Builder maxClockSkewMillis(long v) {
            maxClockSkewMillis = v;
            return this;
        }

        /** Bound of the queue of requests waiting for a batch (at least 1). */
        public Builder maxPendingRequests(int v) {
            maxPendingRequests = v;
            return this;
        }

        /** Bound of that queue in bytes (not below the batch size in bytes). */
        public Builder maxPendingBytes(long v) {
            maxPendingBytes = v;
            return this;
        }

        /** Replies kept per client for retransmitted requests (at least 1). */
        public Builder replyCacheSize(int v) {
            replyCacheSize = v;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the first setting out of range
         */
        public ReplicaSettings build() {
            return new ReplicaSettings(this);
        }
    }
}

package org.ehrledger.consensus.api;

import static org.ehrledger.consensus.api.Settings.atLeast;
import static org.ehrledger.consensus.api.Settings.notBelow;

/**
 * Client tunables. Built with {@link #builder()}, which starts from the {@linkplain #defaults() defaults}
 * (bundling on) and rejects values the client cannot run with.
 */
public final class ClientSettings {

    private final long retransmitMillis;
    private final long maxRetransmitMillis;
    private final long requestTimeoutMillis;
    private final int maxOutstanding;
    private final int maxInFlightRequests;
    private final int maxBundleOperations;
    private final int maxBundleBytes;

    private ClientSettings(Builder b) {
        retransmitMillis = atLeast("retransmitMillis", b.retransmitMillis, 1);
        maxRetransmitMillis = notBelow("maxRetransmitMillis", b.maxRetransmitMillis, "retransmitMillis",
                b.retransmitMillis);
        requestTimeoutMillis = atLeast("requestTimeoutMillis", b.requestTimeoutMillis, 1);
        maxOutstanding = atLeast("maxOutstanding", b.maxOutstanding, 1);
        maxInFlightRequests = atLeast("maxInFlightRequests", b.maxInFlightRequests, 1);
        maxBundleOperations = atLeast("maxBundleOperations", b.maxBundleOperations, 1);
        maxBundleBytes = atLeast("maxBundleBytes", b.maxBundleBytes, 1);
    }

    /** Defaults for a LAN or one machine: bundling on. */
    public static ClientSettings defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Initial wait before a request is retransmitted to every replica. */
    public long retransmitMillis() {
        return retransmitMillis;
    }

    /** Cap of the exponential back-off of retransmissions. */
    public long maxRetransmitMillis() {
        return maxRetransmitMillis;
    }

    /** Time after which an operation fails with a timeout. */
    public long requestTimeoutMillis() {
        return requestTimeoutMillis;
    }

    /** Operations accepted and not yet answered; further submissions are refused. */
    public int maxOutstanding() {
        return maxOutstanding;
    }

    /**
     * Signed requests in flight at once; operations submitted meanwhile wait and are bundled into the next
     * request (like Nagle's algorithm).
     */
    public int maxInFlightRequests() {
        return maxInFlightRequests;
    }

    /** Most operations in one request (1 disables bundling). */
    public int maxBundleOperations() {
        return maxBundleOperations;
    }

    /** Most operation bytes in one request. */
    public int maxBundleBytes() {
        return maxBundleBytes;
    }

    /** Collects client settings; {@link #build()} checks them. */
    public static final class Builder {

        private long retransmitMillis = 1_000;
        private long maxRetransmitMillis = 8_000;
        private long requestTimeoutMillis = 60_000;
        private int maxOutstanding = 4_096;
        private int maxInFlightRequests = 4;
        private int maxBundleOperations = 64;
        private int maxBundleBytes = 256 * 1024;

        private Builder() {
        }

        /** Initial wait before a retransmission (positive). */
        public Builder retransmitMillis(long v) {
            retransmitMillis = v;
            return this;
        }

        /** Cap of the retransmission back-off (not below the initial wait). */
        public Builder maxRetransmitMillis(long v) {
            maxRetransmitMillis = v;
            return this;
        }

        /** Time after which an operation fails with a timeout (positive). */
        public Builder requestTimeoutMillis(long v) {
            requestTimeoutMillis = v;
            return this;
        }

        /** Operations accepted and not yet answered (at least 1). */
        public Builder maxOutstanding(int v) {
            maxOutstanding = v;
            return this;
        }

        /** Signed requests in flight at once (at least 1). */
        public Builder maxInFlightRequests(int v) {
            maxInFlightRequests = v;
            return this;
        }

        /** Most operations in one request (at least 1; 1 disables bundling). */
        public Builder maxBundleOperations(int v) {
            maxBundleOperations = v;
            return this;
        }

        /** Most operation bytes in one request (at least 1). */
        public Builder maxBundleBytes(int v) {
            maxBundleBytes = v;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the first setting out of range
         */
        public ClientSettings build() {
            return new ClientSettings(this);
        }
    }
}

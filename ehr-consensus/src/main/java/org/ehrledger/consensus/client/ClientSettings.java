package org.ehrledger.consensus.client;

/**
 * Client tunables.
 *
 * @param retransmitMillis     initial wait before a request is retransmitted to every replica
 * @param maxRetransmitMillis  cap of the exponential back-off
 * @param requestTimeoutMillis time after which an operation fails with a timeout
 * @param maxOutstanding       operations accepted and not yet answered; further submissions are refused
 * @param maxInFlightRequests  signed requests in flight at once; operations submitted meanwhile wait and
 *                             are bundled into the next request (like Nagle's algorithm)
 * @param maxBundleOperations  most operations in one request (1 disables bundling)
 * @param maxBundleBytes       most operation bytes in one request
 */
public record ClientSettings(long retransmitMillis, long maxRetransmitMillis, long requestTimeoutMillis,
                             int maxOutstanding, int maxInFlightRequests, int maxBundleOperations,
                             int maxBundleBytes) {

    /** Defaults for a LAN or one machine: bundling on. */
    public static ClientSettings defaults() {
        return new ClientSettings(1_000, 8_000, 60_000, 4_096, 4, 64, 256 * 1024);
    }

    /** A copy without bundling: every operation is its own signed request. */
    public ClientSettings unbundled(int inFlight) {
        return new ClientSettings(retransmitMillis, maxRetransmitMillis, requestTimeoutMillis, maxOutstanding,
                inFlight, 1, maxBundleBytes);
    }
}

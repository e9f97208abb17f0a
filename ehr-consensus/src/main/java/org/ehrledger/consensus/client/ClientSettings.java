package org.ehrledger.consensus.client;

/**
 * Client tunables.
 *
 * @param retransmitMillis initial wait before a request is retransmitted to every replica
 * @param maxRetransmitMillis cap of the exponential back-off
 * @param requestTimeoutMillis time after which a request fails with a timeout
 * @param maxOutstanding   requests in flight at once; further submissions are refused
 */
public record ClientSettings(long retransmitMillis, long maxRetransmitMillis, long requestTimeoutMillis,
                             int maxOutstanding) {

    /** Defaults for a LAN or one machine. */
    public static ClientSettings defaults() {
        return new ClientSettings(1_000, 8_000, 60_000, 512);
    }
}

package org.ehrledger.consensus.api;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;

/**
 * A client request of an {@link OrderedBatch} that the application executes.
 *
 * @param clientId   the consensus client that submitted it (the host's gateway, not the end user)
 * @param timestamp  the request's client timestamp
 * @param digest     the request digest (that of its {@link RequestProof})
 * @param operations the opaque operations, in order (do not modify the arrays)
 */
public record OrderedRequest(int clientId, long timestamp, Digest digest, List<byte[]> operations) {
}

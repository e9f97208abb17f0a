package org.ehrledger.consensus.api;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;

/**
 * A committed batch handed to the {@link Application}: what to execute, and the proofs that it was ordered.
 *
 * @param sequence      consensus sequence number, consecutive from 1
 * @param view          view in which the batch committed
 * @param timestamp     consensus timestamp in epoch milliseconds, never decreasing between batches
 * @param digest        digest of the batch, signed by the commit certificate
 * @param requests      the batch's requests exactly as ordered, duplicates included, as proofs: their
 *                      digests are the leaves of the Merkle tree under {@code digest}
 * @param fresh         the requests to execute: the batch minus replays of already executed requests
 * @param certificate   2f+1 signed commits for (view, sequence, digest), a proof for third parties
 */
public record OrderedBatch(long sequence, long view, long timestamp, Digest digest, List<RequestProof> requests,
                           List<OrderedRequest> fresh, List<SignedCommit> certificate) {

    /** The operations to execute, in order: every operation of every fresh request. */
    public List<Operation> operations() {
        List<Operation> ops = new ArrayList<>();
        for (OrderedRequest r : fresh) {
            List<byte[]> payloads = r.operations();
            for (int i = 0; i < payloads.size(); i++) {
                ops.add(new Operation(r.clientId(), r.timestamp(), i, payloads.get(i)));
            }
        }
        return ops;
    }
}

package org.ehrledger.consensus.api;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Request;

/**
 * A committed batch handed to the {@link Application}.
 *
 * @param sequence      consensus sequence number, consecutive from 1
 * @param view          view in which the batch committed
 * @param timestamp     consensus timestamp in epoch milliseconds, never decreasing between batches
 * @param digest        digest of {@code batch}, signed by the commit certificate
 * @param batch         the batch exactly as ordered, duplicates included
 * @param fresh         the requests to execute: the batch minus replays of already executed requests
 * @param certificate   2f+1 signed commits for (view, sequence, digest), a proof for third parties
 */
public record OrderedBatch(long sequence, long view, long timestamp, Digest digest, Batch batch,
                           List<Request> fresh, List<Commit> certificate) {

    /** The operations to execute, in order: every operation of every fresh request. */
    public List<Operation> operations() {
        List<Operation> ops = new ArrayList<>();
        for (Request r : fresh) {
            List<byte[]> payloads = r.operations();
            for (int i = 0; i < payloads.size(); i++) {
                ops.add(new Operation(r.clientId(), r.timestamp(), i, payloads.get(i)));
            }
        }
        return ops;
    }
}

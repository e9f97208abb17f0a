package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.ehrledger.consensus.crypto.Digest;

/**
 * An ordered batch of requests with the consensus timestamp proposed by the primary. Its digest
 * covers the timestamp and the digest of every request in order; prepares and commits carry only
 * this digest.
 */
public final class Batch {

    private static final byte[] TAG = "EHR-BAT1".getBytes(StandardCharsets.US_ASCII);

    /** The empty batch that fills a sequence number left without a prepared batch after a view change. */
    public static final Batch NULL = new Batch(0, List.of());

    private final long timestamp;
    private final List<Request> requests;
    private Digest digest;

    /** Creates a batch. */
    public Batch(long timestamp, List<Request> requests) {
        this.timestamp = timestamp;
        this.requests = List.copyOf(requests);
    }

    /** Consensus timestamp proposed by the primary, epoch milliseconds. */
    public long timestamp() {
        return timestamp;
    }

    /** The requests in order. */
    public List<Request> requests() {
        return requests;
    }

    /** Whether this is a null batch (no requests). */
    public boolean isEmpty() {
        return requests.isEmpty();
    }

    /** The batch digest, computed once. */
    public Digest digest() {
        Digest d = digest;
        if (d == null) {
            Wire.Writer w = new Wire.Writer(TAG.length + 12 + 32 * requests.size());
            w.raw(TAG).i64(timestamp).i32(requests.size());
            for (Request r : requests) {
                w.digest(r.digest());
            }
            d = Digest.sha256(w.buffer(), 0, w.size());
            digest = d;
        }
        return d;
    }

    /** Total encoded size of the requests. */
    public int byteSize() {
        int size = 12;
        for (Request r : requests) {
            size += 4 + r.encodedSize();
        }
        return size;
    }

    /** Encodes the batch. */
    public void encode(Wire.Writer w) {
        w.i64(timestamp).i32(requests.size());
        for (Request r : requests) {
            r.encode(w);
        }
    }

    /** Decodes a batch. */
    public static Batch decode(Wire.Reader r) {
        long ts = r.i64();
        return new Batch(ts, r.list(20, Request::decode));
    }

    @Override
    public String toString() {
        return "Batch[" + requests.size() + " requests, " + digest() + "]";
    }
}

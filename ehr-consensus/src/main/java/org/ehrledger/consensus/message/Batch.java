package org.ehrledger.consensus.message;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.BatchInclusion;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.OrderedRequest;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.codec.Wire;

/**
 * An ordered batch of requests with the consensus timestamp proposed by the primary. Its digest is
 * {@code SHA-256(tag || timestamp || count || Merkle root of the request digests)}: prepares and
 * commits carry only this digest, and since it commits to a Merkle root, a commit certificate plus an
 * audit path proves to a third party that one request was ordered in this batch (see {@link #inclusion}
 * and {@link BatchInclusion}, which defines the digest).
 */
public final class Batch {

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
            d = digestOf(timestamp, requests.size(), MerkleTree.root(leafHashes()));
            digest = d;
        }
        return d;
    }

    /** The batch digest from its parts; what a third party recomputes from an inclusion proof. */
    public static Digest digestOf(long timestamp, int count, Digest requestsRoot) {
        return BatchInclusion.batchDigest(timestamp, count, requestsRoot);
    }

    private List<Digest> leafHashes() {
        List<Digest> leaves = new ArrayList<>(requests.size());
        for (Request r : requests) {
            leaves.add(BatchInclusion.leafOf(r.digest()));
        }
        return leaves;
    }

    /**
     * Proof that the request at {@code index} is in this batch: with the request itself (whose digest is
     * the leaf) anyone recomputes {@link #digest()}, which a commit certificate signs.
     */
    public Inclusion inclusion(int index) {
        return new Inclusion(timestamp, requests.size(), index, MerkleTree.auditPath(leafHashes(), index));
    }

    /**
     * An audit path from one request to the batch digest.
     *
     * @param timestamp the batch's consensus timestamp
     * @param count     number of requests in the batch
     * @param index     position of the request
     * @param path      Merkle audit path of the request digest
     */
    public record Inclusion(long timestamp, int count, int index, List<Digest> path) {

        /** The batch digest implied by a request digest, or null if the path does not fit. */
        public Digest batchDigest(Digest requestDigest) {
            return new BatchInclusion(timestamp, count, index, path).batchDigest(requestDigest);
        }
    }

    /**
     * This batch as the application executes it at {@code sequence}: the given fresh requests, with the
     * proofs of all its requests and its commit certificate.
     */
    public OrderedBatch ordered(long sequence, long view, long timestamp, List<Request> fresh, List<Commit> certificate) {
        List<RequestProof> proofs = new ArrayList<>(requests.size());
        for (Request r : requests) {
            proofs.add(r.skeleton().proof());
        }
        List<OrderedRequest> toExecute = new ArrayList<>(fresh.size());
        for (Request r : fresh) {
            toExecute.add(new OrderedRequest(r.clientId(), r.timestamp(), r.digest(), r.operations()));
        }
        List<SignedCommit> commits = new ArrayList<>(certificate.size());
        for (Commit c : certificate) {
            commits.add(c.signed());
        }
        return new OrderedBatch(sequence, view, timestamp, digest(), List.copyOf(proofs), List.copyOf(toExecute),
                List.copyOf(commits));
    }

    /** What {@link #byteSize()} counts for a batch without requests (its timestamp and request count). */
    public static final int EMPTY_BYTES = 12;

    /** What {@link #byteSize()} counts for one request of {@code encodedSize} bytes (the request with its length). */
    public static int entryBytes(int encodedSize) {
        return 4 + encodedSize;
    }

    /** Total encoded size of the requests. */
    public int byteSize() {
        int size = EMPTY_BYTES;
        for (Request r : requests) {
            size += entryBytes(r.encodedSize());
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

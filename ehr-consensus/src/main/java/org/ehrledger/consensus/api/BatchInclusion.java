package org.ehrledger.consensus.api;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.codec.Wire;

/**
 * An audit path from one request to the digest of the batch that ordered it: with the request's digest
 * anyone recomputes the batch digest, which a commit certificate signs. A batch digest is
 * {@code SHA-256(tag || timestamp || count || Merkle root of the request digests)} (docs/LEDGER-FORMAT.md).
 *
 * @param timestamp the batch's consensus timestamp
 * @param count     number of requests in the batch
 * @param index     position of the request
 * @param path      Merkle audit path of the request digest
 */
public record BatchInclusion(long timestamp, int count, int index, List<Digest> path) {

    private static final byte[] TAG = "EHR-BAT2".getBytes(StandardCharsets.US_ASCII);

    /** The batch digest from its parts. */
    public static Digest batchDigest(long timestamp, int count, Digest requestsRoot) {
        return Digest.sha256(new Wire.Writer(TAG.length + 44).raw(TAG).i64(timestamp).i32(count)
                .digest(requestsRoot).toBytes());
    }

    /** The Merkle leaf of a request digest in its batch's tree. */
    public static Digest leafOf(Digest requestDigest) {
        return MerkleTree.leafHash(requestDigest.unsafeBytes());
    }

    /** The batch digest implied by a request digest, or null if the path does not fit. */
    public Digest batchDigest(Digest requestDigest) {
        Digest root = MerkleTree.rootFromPath(leafOf(requestDigest), index, count, path);
        return root == null ? null : batchDigest(timestamp, count, root);
    }
}

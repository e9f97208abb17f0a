package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.consensus.crypto.Ed25519;
import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * A request without its operation bytes: client, timestamp, the SHA-256 of each operation, and the
 * client's signature. The signature and the request digest both cover exactly these fields, so a
 * skeleton proves what a request carried and that its client signed it, while the operations
 * themselves may be stored elsewhere or erased (crypto-shredding keeps only their hashes).
 */
public record RequestSkeleton(int clientId, long timestamp, List<Digest> operationDigests, byte[] signature) {

    private static final byte[] SIGN_TAG = "EHR-REQ3".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DIGEST_TAG = "EHR-RQD3".getBytes(StandardCharsets.US_ASCII);

    /** The digests of a list of operations. */
    public static List<Digest> digestsOf(List<byte[]> operations) {
        List<Digest> out = new ArrayList<>(operations.size());
        for (byte[] op : operations) {
            out.add(Digest.sha256(op));
        }
        return out;
    }

    /** The bytes a client signs. */
    public static byte[] signedBytes(int clientId, long timestamp, List<Digest> operationDigests) {
        Wire.Writer w = new Wire.Writer(SIGN_TAG.length + 16 + 32 * operationDigests.size())
                .raw(SIGN_TAG).i32(clientId).i64(timestamp).i32(operationDigests.size());
        for (Digest d : operationDigests) {
            w.digest(d);
        }
        return w.toBytes();
    }

    /** The bytes this skeleton's signature covers. */
    public byte[] signedBytes() {
        return signedBytes(clientId, timestamp, operationDigests);
    }

    /** The request digest (identical to {@link Request#digest()} of the full request). */
    public Digest digest() {
        Wire.Writer w = new Wire.Writer(DIGEST_TAG.length + 84 + 32 * operationDigests.size())
                .raw(DIGEST_TAG).i32(clientId).i64(timestamp).i32(operationDigests.size());
        for (Digest d : operationDigests) {
            w.digest(d);
        }
        w.bytes(signature);
        return Digest.sha256(w.buffer(), 0, w.size());
    }

    /** Whether the client's signature verifies with its public keys. */
    public boolean verify(PublicKeys client) {
        return Ed25519.verify(client, signedBytes(), signature);
    }

    /** Canonical encoding. */
    public void encode(Wire.Writer w) {
        w.i32(clientId).i64(timestamp).i32(operationDigests.size());
        for (Digest d : operationDigests) {
            w.digest(d);
        }
        w.bytes(signature);
    }

    /** Decodes {@link #encode}. */
    public static RequestSkeleton decode(Wire.Reader r) {
        int client = r.i32();
        long ts = r.i64();
        List<Digest> digests = r.list(32, Wire.Reader::digest);
        return new RequestSkeleton(client, ts, digests, r.bytes());
    }
}

package org.ehrledger.consensus.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.consensus.crypto.Ed25519;
import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * An ordered client request as a proof, without its operation bytes: client, timestamp, the SHA-256 of each
 * operation, and the client's signature. The signature and the request digest both cover exactly these
 * fields, so a proof shows what a request carried and that its client signed it, while the operations
 * themselves may be stored elsewhere or erased (crypto-shredding keeps only their hashes). Its encoding and
 * digest are part of the frozen chain format (docs/LEDGER-FORMAT.md).
 *
 * @param clientId          the consensus client that signed the request
 * @param timestamp         the request's client timestamp
 * @param operationDigests  SHA-256 of each operation, in order
 * @param signature         the client's Ed25519 signature over {@link #signedBytes()}
 */
public record RequestProof(int clientId, long timestamp, List<Digest> operationDigests, byte[] signature) {

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

    /** The proof of a request a client signs now with {@code signer} (whose id is the client id). */
    public static RequestProof sign(Signer signer, long timestamp, List<byte[]> operations) {
        List<Digest> digests = List.copyOf(digestsOf(operations));
        return new RequestProof(signer.id(), timestamp, digests, signer.sign(signedBytes(signer.id(), timestamp, digests)));
    }

    /** The bytes this proof's signature covers. */
    public byte[] signedBytes() {
        return signedBytes(clientId, timestamp, operationDigests);
    }

    /** The request digest: what a batch's Merkle tree and a ledger entry name the request by. */
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
    public static RequestProof decode(Wire.Reader r) {
        int client = r.i32();
        long ts = r.i64();
        List<Digest> digests = r.list(32, Wire.Reader::digest);
        return new RequestProof(client, ts, digests, r.bytes());
    }
}

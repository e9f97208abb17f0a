package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * A request without its operation bytes: client, timestamp, the SHA-256 of each operation, and the
 * client's signature. The signature and the request digest both cover exactly these fields, so a
 * skeleton proves what a request carried and that its client signed it, while the operations
 * themselves may be stored elsewhere or erased (crypto-shredding keeps only their hashes). The protocol's
 * form of {@link RequestProof}, which defines the encoding.
 */
public record RequestSkeleton(int clientId, long timestamp, List<Digest> operationDigests, byte[] signature) {

    /** The digests of a list of operations. */
    public static List<Digest> digestsOf(List<byte[]> operations) {
        return RequestProof.digestsOf(operations);
    }

    /** The bytes a client signs. */
    public static byte[] signedBytes(int clientId, long timestamp, List<Digest> operationDigests) {
        return RequestProof.signedBytes(clientId, timestamp, operationDigests);
    }

    /** This skeleton as the application sees it. */
    public RequestProof proof() {
        return new RequestProof(clientId, timestamp, operationDigests, signature);
    }

    /** The bytes this skeleton's signature covers. */
    public byte[] signedBytes() {
        return signedBytes(clientId, timestamp, operationDigests);
    }

    /** The request digest (identical to {@link Request#digest()} of the full request). */
    public Digest digest() {
        return proof().digest();
    }

    /** Whether the client's signature verifies with its public keys. */
    public boolean verify(PublicKeys client) {
        return proof().verify(client);
    }

    /** Canonical encoding. */
    public void encode(Wire.Writer w) {
        proof().encode(w);
    }

    /** Decodes {@link #encode}. */
    public static RequestSkeleton decode(Wire.Reader r) {
        RequestProof p = RequestProof.decode(r);
        return new RequestSkeleton(p.clientId(), p.timestamp(), p.operationDigests(), p.signature());
    }
}

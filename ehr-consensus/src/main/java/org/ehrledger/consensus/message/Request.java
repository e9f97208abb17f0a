package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.crypto.Digest;

/**
 * A client request: an opaque operation, signed by the client. The (client, timestamp) pair names the
 * request for replay suppression; timestamps of one client strictly increase.
 */
public final class Request implements Message {

    private static final byte[] TAG = "EHR-REQ1".getBytes(StandardCharsets.US_ASCII);

    private final int clientId;
    private final long timestamp;
    private final byte[] operation;
    private final byte[] signature;
    private Digest digest;

    /** Creates a request; the arrays are not copied (messages are treated as immutable). */
    public Request(int clientId, long timestamp, byte[] operation, byte[] signature) {
        this.clientId = clientId;
        this.timestamp = timestamp;
        this.operation = operation;
        this.signature = signature;
    }

    /** The bytes a client signs. */
    public static byte[] signedBytes(int clientId, long timestamp, byte[] operation) {
        return new Wire.Writer(operation.length + 24).raw(TAG).i32(clientId).i64(timestamp).bytes(operation)
                .toBytes();
    }

    /** The bytes this request's signature covers. */
    public byte[] signedBytes() {
        return signedBytes(clientId, timestamp, operation);
    }

    /** Client that issued the request. */
    public int clientId() {
        return clientId;
    }

    /** Client timestamp. */
    public long timestamp() {
        return timestamp;
    }

    /** The operation for the application (do not modify). */
    public byte[] operation() {
        return operation;
    }

    /** The client's Ed25519 signature. */
    public byte[] signature() {
        return signature;
    }

    /** Replay-suppression key. */
    public RequestKey key() {
        return new RequestKey(clientId, timestamp);
    }

    /** SHA-256 of the encoded request, computed once. */
    public Digest digest() {
        Digest d = digest;
        if (d == null) {
            Wire.Writer w = new Wire.Writer(operation.length + 96);
            encode(w);
            d = Digest.sha256(w.buffer(), 0, w.size());
            digest = d;
        }
        return d;
    }

    /** Encoded size in bytes. */
    public int encodedSize() {
        return 4 + 8 + 4 + operation.length + 4 + signature.length;
    }

    @Override
    public MessageType type() {
        return MessageType.REQUEST;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i32(clientId).i64(timestamp).bytes(operation).bytes(signature);
    }

    /** Decodes a request. */
    public static Request decode(Wire.Reader r) {
        return new Request(r.i32(), r.i64(), r.bytes(), r.bytes());
    }

    @Override
    public String toString() {
        return "Request[" + clientId + "@" + timestamp + "]";
    }
}

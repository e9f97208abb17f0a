package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;

/**
 * A client request: one or more opaque operations, signed together by the client. Bundling the
 * operations a client has waiting into one request amortises the signature and its verification on
 * every replica. The signature and the digest cover the operations through their SHA-256 digests (see
 * {@link RequestSkeleton}), so the request can later be proven from its skeleton alone. The
 * (client, timestamp) pair names the request for replay suppression; timestamps strictly increase.
 */
public final class Request implements Message {

    private final int clientId;
    private final long timestamp;
    private final List<byte[]> operations;
    private final byte[] signature;
    private final int encodedSize;
    private Digest digest;
    private List<Digest> operationDigests;

    /** Creates a request; the arrays are not copied (messages are treated as immutable). */
    public Request(int clientId, long timestamp, List<byte[]> operations, byte[] signature) {
        this.clientId = clientId;
        this.timestamp = timestamp;
        this.operations = List.copyOf(operations);
        this.signature = signature;
        int size = 4 + 8 + 4 + 4 + signature.length;
        for (byte[] op : this.operations) {
            size += 4 + op.length;
        }
        this.encodedSize = size;
    }

    /** Creates a request with a single operation. */
    public Request(int clientId, long timestamp, byte[] operation, byte[] signature) {
        this(clientId, timestamp, List.of(operation), signature);
    }

    /** The bytes a client signs: client, timestamp and the SHA-256 of every operation. */
    public static byte[] signedBytes(int clientId, long timestamp, List<byte[]> operations) {
        return RequestSkeleton.signedBytes(clientId, timestamp, RequestSkeleton.digestsOf(operations));
    }

    /** The bytes a client signs for a single operation. */
    public static byte[] signedBytes(int clientId, long timestamp, byte[] operation) {
        return signedBytes(clientId, timestamp, List.of(operation));
    }

    /** The bytes this request's signature covers. */
    public byte[] signedBytes() {
        return RequestSkeleton.signedBytes(clientId, timestamp, operationDigests());
    }

    /** SHA-256 of each operation, computed once. */
    public List<Digest> operationDigests() {
        List<Digest> d = operationDigests;
        if (d == null) {
            d = List.copyOf(RequestSkeleton.digestsOf(operations));
            operationDigests = d;
        }
        return d;
    }

    /** This request without its operation bytes. */
    public RequestSkeleton skeleton() {
        return new RequestSkeleton(clientId, timestamp, operationDigests(), signature);
    }

    /** Client that issued the request. */
    public int clientId() {
        return clientId;
    }

    /** Client timestamp. */
    public long timestamp() {
        return timestamp;
    }

    /** The operations for the application, in order (do not modify the arrays). */
    public List<byte[]> operations() {
        return operations;
    }

    /** The only operation of a single-operation request. */
    public byte[] operation() {
        if (operations.size() != 1) {
            throw new IllegalStateException("request carries " + operations.size() + " operations");
        }
        return operations.get(0);
    }

    /** The client's Ed25519 signature. */
    public byte[] signature() {
        return signature;
    }

    /** Replay-suppression key. */
    public RequestKey key() {
        return new RequestKey(clientId, timestamp);
    }

    /** The request digest (that of its {@link #skeleton()}), computed once. */
    public Digest digest() {
        Digest d = digest;
        if (d == null) {
            d = skeleton().digest();
            digest = d;
        }
        return d;
    }

    /** Encoded size in bytes. */
    public int encodedSize() {
        return encodedSize;
    }

    @Override
    public MessageType type() {
        return MessageType.REQUEST;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i32(clientId).i64(timestamp).i32(operations.size());
        for (byte[] op : operations) {
            w.bytes(op);
        }
        w.bytes(signature);
    }

    /** Decodes a request; a request carries at least one operation. */
    public static Request decode(Wire.Reader r) {
        int client = r.i32();
        long ts = r.i64();
        List<byte[]> ops = r.list(4, Wire.Reader::bytes);
        if (ops.isEmpty()) {
            throw new MalformedMessageException("request without operations");
        }
        return new Request(client, ts, ops, r.bytes());
    }

    @Override
    public String toString() {
        return "Request[" + clientId + "@" + timestamp + ", " + operations.size() + " ops]";
    }
}

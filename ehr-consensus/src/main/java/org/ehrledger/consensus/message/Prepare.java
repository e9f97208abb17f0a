package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/** A backup's agreement to the pre-prepare (view, sequence, digest); signed so it can prove a prepared certificate. */
public record Prepare(long view, long sequence, Digest digest, int replica, byte[] signature) implements Message {

    private static final byte[] TAG = "EHR-PRP1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the replica. */
    public static byte[] signedBytes(long view, long sequence, Digest digest, int replica) {
        return new Wire.Writer(60).raw(TAG).i64(view).i64(sequence).digest(digest).i32(replica).toBytes();
    }

    /** Bytes covered by this prepare's signature. */
    public byte[] signedBytes() {
        return signedBytes(view, sequence, digest, replica);
    }

    @Override
    public MessageType type() {
        return MessageType.PREPARE;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(view).i64(sequence).digest(digest).i32(replica).bytes(signature);
    }

    /** Decodes a prepare. */
    public static Prepare decode(Wire.Reader r) {
        return new Prepare(r.u63("view"), r.u63("sequence"), r.digest(), r.i32(), r.bytes());
    }
}

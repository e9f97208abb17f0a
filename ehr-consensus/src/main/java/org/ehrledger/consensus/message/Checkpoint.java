package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/** A replica's signed statement of its state digest after executing {@code sequence}. */
public record Checkpoint(long sequence, Digest stateDigest, int replica, byte[] signature) implements Message {

    private static final byte[] TAG = "EHR-CKP1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the replica. */
    public static byte[] signedBytes(long sequence, Digest stateDigest, int replica) {
        return new Wire.Writer(52).raw(TAG).i64(sequence).digest(stateDigest).i32(replica).toBytes();
    }

    /** Bytes covered by this checkpoint's signature. */
    public byte[] signedBytes() {
        return signedBytes(sequence, stateDigest, replica);
    }

    @Override
    public MessageType type() {
        return MessageType.CHECKPOINT;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(sequence).digest(stateDigest).i32(replica).bytes(signature);
    }

    /** Decodes a checkpoint. */
    public static Checkpoint decode(Wire.Reader r) {
        return new Checkpoint(r.u63("sequence"), r.digest(), r.i32(), r.bytes());
    }
}

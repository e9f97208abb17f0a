package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/**
 * The primary's proposal of a batch for a sequence number in a view. The signed header
 * (view, sequence, digest) is transferable proof for view changes; the batch itself travels only in
 * the normal-case message and is omitted in certificates and new-view messages.
 *
 * @param batch the proposed batch, or {@code null} where only the header is carried
 */
public record PrePrepare(long view, long sequence, Digest digest, byte[] signature, Batch batch) implements Message {

    private static final byte[] TAG = "EHR-PPR1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the primary. */
    public static byte[] signedBytes(long view, long sequence, Digest digest) {
        return new Wire.Writer(56).raw(TAG).i64(view).i64(sequence).digest(digest).toBytes();
    }

    /** Bytes covered by this pre-prepare's signature. */
    public byte[] signedBytes() {
        return signedBytes(view, sequence, digest);
    }

    /** The same pre-prepare without its batch. */
    public PrePrepare header() {
        return batch == null ? this : new PrePrepare(view, sequence, digest, signature, null);
    }

    /** The same pre-prepare carrying a batch. */
    public PrePrepare withBatch(Batch b) {
        return new PrePrepare(view, sequence, digest, signature, b);
    }

    @Override
    public MessageType type() {
        return MessageType.PRE_PREPARE;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(view).i64(sequence).digest(digest).bytes(signature).u8(batch == null ? 0 : 1);
        if (batch != null) {
            batch.encode(w);
        }
    }

    /** Decodes a pre-prepare. */
    public static PrePrepare decode(Wire.Reader r) {
        long view = r.u63("view");
        long seq = r.u63("sequence");
        Digest d = r.digest();
        byte[] sig = r.bytes();
        Batch b = r.flag() ? Batch.decode(r) : null;
        return new PrePrepare(view, seq, d, sig, b);
    }

    @Override
    public String toString() {
        return "PrePrepare[v" + view + " n" + sequence + " " + digest + (batch == null ? "" : " " + batch.requests().size() + " req") + "]";
    }
}

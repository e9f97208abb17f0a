package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/**
 * A replica's request to move to {@code newView}, carrying its last stable checkpoint with proof and a
 * prepared certificate for every sequence number above it that prepared at this replica.
 */
public record ViewChange(long newView, int replica, long stableSequence, List<Checkpoint> checkpointProof,
                         List<PreparedProof> prepared, byte[] signature) implements Message {

    private static final byte[] TAG = "EHR-VCH1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the replica: the whole message except the signature. */
    public byte[] signedBytes() {
        Wire.Writer w = new Wire.Writer(256);
        w.raw(TAG);
        encodeUnsigned(w);
        return w.toBytes();
    }

    private void encodeUnsigned(Wire.Writer w) {
        w.i64(newView).i32(replica).i64(stableSequence).i32(checkpointProof.size());
        for (Checkpoint c : checkpointProof) {
            c.encode(w);
        }
        w.i32(prepared.size());
        for (PreparedProof p : prepared) {
            p.encode(w);
        }
    }

    /** The same message with a signature. */
    public ViewChange signed(byte[] sig) {
        return new ViewChange(newView, replica, stableSequence, checkpointProof, prepared, sig);
    }

    @Override
    public MessageType type() {
        return MessageType.VIEW_CHANGE;
    }

    @Override
    public void encode(Wire.Writer w) {
        encodeUnsigned(w);
        w.bytes(signature);
    }

    /** Decodes a view change. */
    public static ViewChange decode(Wire.Reader r) {
        long v = r.u63("view");
        int replica = r.i32();
        long stable = r.u63("stable sequence");
        List<Checkpoint> proof = r.list(48, Checkpoint::decode);
        List<PreparedProof> prepared = r.list(64, PreparedProof::decode);
        return new ViewChange(v, replica, stable, proof, prepared, r.bytes());
    }
}

package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/**
 * State for a lagging replica: the responder's stable checkpoint with its 2f+1 signatures and, where
 * the requester is behind it, the snapshot; then committed batches after it with their commit
 * certificates; then the responder's latest new-view message. Everything in it is checked against
 * signatures, so a single response from any replica can be used without trusting that replica.
 *
 * @param snapshot     the checkpoint snapshot, or {@code null} when the requester does not need it
 * @param latestNewView the responder's latest new-view message, or {@code null} in view 0
 */
public record StateResponse(long view, long stableSequence, List<Checkpoint> checkpointProof, byte[] snapshot,
                            List<CommittedBatch> batches, NewView latestNewView) implements Message {

    @Override
    public MessageType type() {
        return MessageType.STATE_RESPONSE;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(view).i64(stableSequence).i32(checkpointProof.size());
        for (Checkpoint c : checkpointProof) {
            c.encode(w);
        }
        w.optionalBytes(snapshot);
        w.i32(batches.size());
        for (CommittedBatch b : batches) {
            b.encode(w);
        }
        w.u8(latestNewView == null ? 0 : 1);
        if (latestNewView != null) {
            latestNewView.encode(w);
        }
    }

    /** Decodes a state response. */
    public static StateResponse decode(Wire.Reader r) {
        long view = r.u63("view");
        long stable = r.u63("stable sequence");
        List<Checkpoint> proof = r.list(48, Checkpoint::decode);
        byte[] snapshot = r.optionalBytes();
        List<CommittedBatch> batches = r.list(64, CommittedBatch::decode);
        NewView nv = r.flag() ? NewView.decode(r) : null;
        return new StateResponse(view, stable, proof, snapshot, batches, nv);
    }
}

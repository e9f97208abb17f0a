package org.ehrledger.consensus.message;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/**
 * The new primary's announcement of {@code view}: the 2f+1 view changes it is based on and the
 * pre-prepare headers it derived from them (re-proposed prepared batches and null batches).
 */
public record NewView(long view, List<ViewChange> viewChanges, List<PrePrepare> prePrepares, byte[] signature)
        implements Message {

    private static final byte[] TAG = "EHR-NVW1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the new primary. */
    public byte[] signedBytes() {
        Wire.Writer w = new Wire.Writer(1024);
        w.raw(TAG);
        encodeUnsigned(w);
        return w.toBytes();
    }

    private void encodeUnsigned(Wire.Writer w) {
        w.i64(view).i32(viewChanges.size());
        for (ViewChange vc : viewChanges) {
            vc.encode(w);
        }
        w.i32(prePrepares.size());
        for (PrePrepare pp : prePrepares) {
            pp.header().encode(w);
        }
    }

    /** The same message with a signature. */
    public NewView signed(byte[] sig) {
        return new NewView(view, viewChanges, prePrepares, sig);
    }

    @Override
    public MessageType type() {
        return MessageType.NEW_VIEW;
    }

    @Override
    public void encode(Wire.Writer w) {
        encodeUnsigned(w);
        w.bytes(signature);
    }

    /** Decodes a new-view message. */
    public static NewView decode(Wire.Reader r) {
        long v = r.u63("view");
        List<ViewChange> vcs = r.list(32, ViewChange::decode);
        List<PrePrepare> pps = r.list(56, PrePrepare::decode);
        return new NewView(v, vcs, pps, r.bytes());
    }
}

package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/** A batch with the pre-prepare that ordered it and its commit certificate (2f+1 signed commits). */
public record CommittedBatch(PrePrepare prePrepare, List<Commit> certificate) {

    /** Encodes the committed batch (the pre-prepare must carry its batch). */
    public void encode(Wire.Writer w) {
        prePrepare.encode(w);
        w.i32(certificate.size());
        for (Commit c : certificate) {
            c.encode(w);
        }
    }

    /** Decodes a committed batch. */
    public static CommittedBatch decode(Wire.Reader r) {
        return new CommittedBatch(PrePrepare.decode(r), r.list(56, Commit::decode));
    }
}

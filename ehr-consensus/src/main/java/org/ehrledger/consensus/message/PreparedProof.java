package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;

/**
 * A prepared certificate: the primary's signed pre-prepare header and 2f matching signed prepares
 * from distinct backups, proving that (view, sequence, digest) prepared.
 */
public record PreparedProof(PrePrepare prePrepare, List<Prepare> prepares) {

    /** Encodes the proof. */
    public void encode(Wire.Writer w) {
        prePrepare.header().encode(w);
        w.i32(prepares.size());
        for (Prepare p : prepares) {
            p.encode(w);
        }
    }

    /** Decodes a proof. */
    public static PreparedProof decode(Wire.Reader r) {
        PrePrepare pp = PrePrepare.decode(r);
        if (pp.batch() != null) {
            throw new MalformedMessageException("a prepared proof carries a header only");
        }
        return new PreparedProof(pp, r.list(56, Prepare::decode));
    }
}

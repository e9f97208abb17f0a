package org.ehrledger.ejb.domain.model.ledger;

import java.util.List;

import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Wire;

/** Canonical binary encoding of whole blocks (for snapshots and block synchronisation). */
public final class BlockCodec {

    private BlockCodec() {
    }

    /** Encodes a block with its certificate. */
    public static void encode(Block b, Wire.Writer w) {
        BlockHeader h = b.header();
        w.i64(h.height()).digest(h.previousHash()).i32(h.entryCount()).digest(h.entriesRoot()).digest(h.stateDigest())
                .i64(h.timestamp()).i64(h.sequence()).digest(h.batchDigest());
        w.i32(b.entries().size());
        for (LedgerEntry e : b.entries()) {
            w.bytes(e.encode());
        }
        w.i32(b.requests().size());
        for (RequestProof r : b.requests()) {
            r.encode(w);
        }
        w.i64(b.view()).i32(b.certificate().size());
        for (SignedCommit c : b.certificate()) {
            c.encode(w);
        }
    }

    /** Decodes a block with its certificate. */
    public static Block decode(Wire.Reader r) {
        BlockHeader h = new BlockHeader(r.i64(), r.digest(), r.i32(), r.digest(), r.digest(), r.i64(), r.i64(), r.digest());
        List<LedgerEntry> entries = r.list(4, x -> LedgerEntry.decode(x.bytes()));
        List<RequestProof> requests = r.list(16, RequestProof::decode);
        long view = r.i64();
        List<SignedCommit> cert = r.list(56, SignedCommit::decode);
        return new Block(h, entries, requests, view, cert);
    }
}

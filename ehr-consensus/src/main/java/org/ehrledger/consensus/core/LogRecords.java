package org.ehrledger.consensus.core;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.codec.Wire;

/** Encoding of the write-ahead records a replica keeps in its {@code ConsensusLog}. */
final class LogRecords {

    static final int VIEW = 1;
    static final int BATCH = 2;
    static final int PRE_PREPARE = 3;
    static final int PREPARE_SENT = 4;
    static final int PREPARED = 5;
    static final int COMMIT_SENT = 6;
    static final int EXECUTED = 7;
    static final int STABLE = 8;
    static final int VIEW_CHANGE_SENT = 9;
    static final int NEW_VIEW = 10;
    /** A stable checkpoint adopted from a new view, without the snapshot (the state is still to be fetched). */
    static final int CHECKPOINT_PROOF = 11;

    private LogRecords() {
    }

    private static Wire.Writer start(int type, int capacity) {
        return new Wire.Writer(capacity).u8(type);
    }

    static byte[] view(long view) {
        return start(VIEW, 16).i64(view).toBytes();
    }

    static byte[] batch(Batch b) {
        Wire.Writer w = start(BATCH, b.byteSize() + 16);
        b.encode(w);
        return w.toBytes();
    }

    static byte[] prePrepare(PrePrepare pp) {
        Wire.Writer w = start(PRE_PREPARE, 128);
        pp.header().encode(w);
        return w.toBytes();
    }

    static byte[] prepareSent(Prepare p) {
        Wire.Writer w = start(PREPARE_SENT, 128);
        p.encode(w);
        return w.toBytes();
    }

    static byte[] prepared(PreparedProof proof) {
        Wire.Writer w = start(PREPARED, 512);
        proof.encode(w);
        return w.toBytes();
    }

    static byte[] commitSent(Commit c) {
        Wire.Writer w = start(COMMIT_SENT, 128);
        c.encode(w);
        return w.toBytes();
    }

    static byte[] executed(PrePrepare pp, List<Commit> certificate) {
        Wire.Writer w = start(EXECUTED, 512);
        pp.header().encode(w);
        w.i32(certificate.size());
        for (Commit c : certificate) {
            c.encode(w);
        }
        return w.toBytes();
    }

    private static Wire.Writer proof(Wire.Writer w, long sequence, List<Checkpoint> proof) {
        w.i64(sequence).i32(proof.size());
        for (Checkpoint c : proof) {
            c.encode(w);
        }
        return w;
    }

    static byte[] stable(long sequence, List<Checkpoint> proof, byte[] snapshot) {
        return proof(start(STABLE, snapshot.length + 512), sequence, proof).bytes(snapshot).toBytes();
    }

    static byte[] checkpointProof(long sequence, List<Checkpoint> proof) {
        return proof(start(CHECKPOINT_PROOF, 512), sequence, proof).toBytes();
    }

    static byte[] viewChangeSent(ViewChange vc) {
        Wire.Writer w = start(VIEW_CHANGE_SENT, 1024);
        vc.encode(w);
        return w.toBytes();
    }

    static byte[] newView(NewView nv) {
        Wire.Writer w = start(NEW_VIEW, 4096);
        nv.encode(w);
        return w.toBytes();
    }

    /** A decoded stable-checkpoint record. */
    record Stable(long sequence, List<Checkpoint> proof, byte[] snapshot, Digest digest) {
    }

    static Stable readStable(Wire.Reader r) {
        CheckpointProof p = readCheckpointProof(r);
        byte[] snapshot = r.bytes();
        return new Stable(p.sequence(), p.proof(), snapshot, Digest.sha256(snapshot));
    }

    /** A decoded checkpoint-proof record. */
    record CheckpointProof(long sequence, List<Checkpoint> proof) {
    }

    static CheckpointProof readCheckpointProof(Wire.Reader r) {
        return new CheckpointProof(r.i64(), r.list(48, Checkpoint::decode));
    }

    /** A decoded executed record: the pre-prepare header and the commit certificate. */
    record Executed(PrePrepare prePrepare, List<Commit> certificate) {
    }

    static Executed readExecuted(Wire.Reader r) {
        return new Executed(PrePrepare.decode(r), r.list(56, Commit::decode));
    }
}

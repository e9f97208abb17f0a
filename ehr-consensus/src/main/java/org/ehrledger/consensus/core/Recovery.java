package org.ehrledger.consensus.core;

import java.util.List;

import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.codec.Wire;

/**
 * Rebuilds a replica from its write-ahead log after a restart: view, stable checkpoint (restoring the
 * application if it lost its state), accepted pre-prepares, the prepares and commits it sent, and
 * executed batches, which are re-applied to the replay table and, where the application is behind, to
 * the application. Nothing is sent while replaying.
 */
final class Recovery {

    private final ReplicaState s;
    private final Ordering normal;
    private final Checkpoints checkpointing;
    private final ViewChanges viewChanges;

    Recovery(ReplicaState s, Ordering normal, Checkpoints checkpointing, ViewChanges viewChanges) {
        this.s = s;
        this.normal = normal;
        this.checkpointing = checkpointing;
        this.viewChanges = viewChanges;
    }

    void run() {
        List<byte[]> records = s.log.readAll();
        if (records.isEmpty()) {
            return;
        }
        s.recovering = true;
        try {
            for (byte[] record : records) {
                try {
                    apply(new Wire.Reader(record));
                } catch (MalformedMessageException e) {
                    ReplicaState.LOG.warning("replica " + s.me + ": unreadable log record skipped (" + e.getMessage() + ")");
                }
            }
            s.inFlight.clear();
            long highest = s.lastExecuted;
            for (Slot slot : s.slots.tailMap(s.lastExecuted, false).values()) {
                if (slot.prePrepare != null) {
                    Batch b = normal.batchFor(slot.prePrepare.digest());
                    if (b != null) {
                        b.requests().forEach(r -> s.inFlight.add(r.key()));
                    }
                    if (slot.prePrepare.view() == s.view) {
                        highest = Math.max(highest, slot.sequence);
                    }
                }
            }
            s.nextSequence = Math.max(highest, s.stableSequence) + 1;
            if (s.latestNewView != null && s.latestNewView.view() == s.view) {
                // Never reassign a sequence number this replica already assigned in its new-view message.
                for (var pp : s.latestNewView.prePrepares()) {
                    s.nextSequence = Math.max(s.nextSequence, pp.sequence() + 1);
                }
            }
        } finally {
            s.recovering = false;
        }
        ReplicaState.LOG.info("replica " + s.me + " recovered from its log: view " + s.view + ", executed "
                + s.lastExecuted + ", stable checkpoint " + s.stableSequence);
    }

    private void apply(Wire.Reader r) {
        int type = r.u8();
        switch (type) {
            case LogRecords.VIEW -> s.view = Math.max(s.view, r.i64());
            case LogRecords.BATCH -> {
                Batch b = Batch.decode(r);
                s.holdBatch(b);
            }
            case LogRecords.PRE_PREPARE -> {
                PrePrepare pp = PrePrepare.decode(r);
                if (pp.sequence() > s.stableSequence) {
                    s.slot(pp.sequence()).accept(pp);
                }
            }
            case LogRecords.PREPARE_SENT -> {
                Prepare p = Prepare.decode(r);
                if (p.sequence() > s.stableSequence) {
                    Slot slot = s.slot(p.sequence());
                    slot.prepares.put(s.me, p);
                    slot.prepareSent = slot.prePrepare == null || slot.prePrepare.view() == p.view();
                }
            }
            case LogRecords.PREPARED -> {
                PreparedProof proof = PreparedProof.decode(r);
                if (proof.prePrepare().sequence() > s.stableSequence) {
                    s.slot(proof.prePrepare().sequence()).preparedProof = proof;
                }
            }
            case LogRecords.COMMIT_SENT -> {
                Commit c = Commit.decode(r);
                if (c.sequence() > s.stableSequence) {
                    Slot slot = s.slot(c.sequence());
                    slot.commits.put(s.me, c);
                    // Only a commit of the view of the accepted pre-prepare counts as sent in that view.
                    slot.commitSent = slot.prePrepare == null || slot.prePrepare.view() == c.view();
                }
            }
            case LogRecords.EXECUTED -> {
                LogRecords.Executed e = LogRecords.readExecuted(r);
                long seq = e.prePrepare().sequence();
                if (seq == s.lastExecuted + 1) {
                    Slot slot = s.slot(seq);
                    slot.certificate = e.certificate();
                    normal.tryExecute();
                }
            }
            case LogRecords.STABLE -> {
                LogRecords.Stable st = LogRecords.readStable(r);
                if (st.sequence() > s.lastExecuted) {
                    checkpointing.install(st.sequence(), st.snapshot(), false);
                }
                s.setStable(st.sequence(), st.digest(), st.proof(), st.snapshot());
            }
            case LogRecords.CHECKPOINT_PROOF -> {
                LogRecords.CheckpointProof cp = LogRecords.readCheckpointProof(r);
                if (cp.sequence() > s.stableSequence) {
                    s.setStable(cp.sequence(), cp.proof().get(0).stateDigest(), cp.proof(), null);
                }
            }
            case LogRecords.VIEW_CHANGE_SENT -> viewChanges.recover(ViewChange.decode(r));
            case LogRecords.NEW_VIEW -> {
                NewView nv = NewView.decode(r);
                if (nv.view() >= s.view) {
                    s.view = nv.view();
                    s.status = ReplicaState.Status.NORMAL;
                }
                s.latestNewView = nv;
            }
            default -> throw new MalformedMessageException("unknown log record type " + type);
        }
    }
}

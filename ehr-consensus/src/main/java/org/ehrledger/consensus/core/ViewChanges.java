package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.ViewChange;

/**
 * View change and new view. A backup that waits too long for a known request to execute moves to the
 * next view; the timeout doubles for each view change that does not lead to progress. The new
 * primary derives the new view's pre-prepares from 2f+1 view changes, so every batch that may have
 * committed in an earlier view keeps its sequence number.
 */
final class ViewChanges implements Views {

    private final ReplicaState s;
    private Ordering normal;
    private Checkpoints checkpointing;
    /** Latest view change of each replica. */
    private final Map<Integer, ViewChange> latest = new HashMap<>();
    private ViewChange own;
    private long deadline = Long.MAX_VALUE;
    private long resendAt;
    private int attempts;
    /** Per replica, the highest view whose new-view message we relayed to it (relay each at most once). */
    private final Map<Integer, Long> helped = new HashMap<>();

    ViewChanges(ReplicaState s) {
        this.s = s;
    }

    /** Connects the other phases (they refer to each other, so they are connected after construction). */
    void wire(Ordering n, Checkpoints c) {
        this.normal = n;
        this.checkpointing = c;
    }

    private long timeout() {
        long t = s.settings.viewChangeTimeoutMillis() << Math.min(attempts, 20);
        return Math.min(t, s.settings.maxViewChangeTimeoutMillis());
    }

    int attempts() {
        return attempts;
    }

    /** Shifts the running view-change deadlines by a span during which this replica did not run. */
    void postpone(long millis) {
        if (deadline != Long.MAX_VALUE) {
            deadline += millis;
        }
        resendAt += millis;
    }

    /** Called on every execution: the current view makes progress, so the back-off resets. */
    @Override
    public void onProgress() {
        attempts = 0;
    }

    void onTick() {
        if (s.status == ReplicaState.Status.NORMAL) {
            if (!s.isPrimary() && !s.watched.isEmpty()) {
                long oldest = s.watched.values().iterator().next();
                // As in the paper, the timer restarts whenever something executes; a request starved for
                // four timeouts while others execute still triggers a view change (censoring primary).
                boolean stalled = s.now - Math.max(oldest, s.lastExecutionAt) >= timeout();
                boolean starved = s.now - oldest >= 4 * timeout();
                if (stalled || starved) {
                    ReplicaState.LOG.info(() -> "replica " + s.me + ": request waited " + (s.now - oldest)
                            + " ms in view " + s.view + "; starting view change to " + (s.view + 1));
                    start(s.view + 1);
                }
            }
        } else if (s.now >= deadline) {
            attempts++;
            start(s.view + 1);
        } else if (s.now >= resendAt && own != null) {
            resendAt = s.now + timeout() / 4;
            s.broadcast(own);
        }
    }

    /** Moves to {@code newView} and announces it. */
    void start(long newView) {
        if (newView <= s.view) {
            return;
        }
        s.view = newView;
        s.status = ReplicaState.Status.VIEW_CHANGE;
        // The new-view timer runs only once 2f+1 replicas want this view (see armDeadline), so a replica
        // cut off from the others does not race ahead through views on its own.
        deadline = Long.MAX_VALUE;
        resendAt = s.now + timeout() / 4;
        List<PreparedProof> prepared = new ArrayList<>();
        for (Slot slot : s.slots.values()) {
            if (slot.sequence > s.stableSequence && slot.preparedProof != null) {
                prepared.add(slot.preparedProof);
            }
        }
        ViewChange vc = new ViewChange(newView, s.me, s.stableSequence, s.stableProof, prepared, null);
        vc = vc.signed(s.crypto.sign(vc.signedBytes()));
        own = vc;
        latest.put(s.me, vc);
        s.append(LogRecords.viewChangeSent(vc));
        s.broadcast(vc);
        armDeadline();
        checkNewView();
    }

    private void armDeadline() {
        if (s.status != ReplicaState.Status.VIEW_CHANGE || deadline != Long.MAX_VALUE) {
            return;
        }
        long votes = latest.values().stream().filter(vc -> vc.newView() == s.view).count();
        if (votes >= s.config.quorum()) {
            deadline = s.now + timeout();
        }
    }

    void onViewChange(ViewChange vc) {
        if (vc.newView() < s.view || (vc.newView() == s.view && s.status == ReplicaState.Status.NORMAL)) {
            // A replica behind us: help it with the new view we are in.
            if (s.latestNewView != null && s.latestNewView.view() >= vc.newView()
                    && helped.getOrDefault(vc.replica(), -1L) < s.latestNewView.view()) {
                helped.put(vc.replica(), s.latestNewView.view());
                s.send(vc.replica(), s.latestNewView);
            }
            return;
        }
        ViewChange previous = latest.get(vc.replica());
        if (previous != null && previous.newView() >= vc.newView()) {
            return;
        }
        latest.put(vc.replica(), vc);
        // Liveness: f+1 replicas ask for views above ours, so at least one correct replica does; join the smallest.
        List<Long> higher = new ArrayList<>();
        for (ViewChange v : latest.values()) {
            if (v.replica() != s.me && v.newView() > s.view) {
                higher.add(v.newView());
            }
        }
        if (higher.size() >= s.config.f() + 1) {
            higher.sort(Comparator.reverseOrder());
            start(higher.get(s.config.f()));
        }
        armDeadline();
        checkNewView();
    }

    private void checkNewView() {
        if (s.status != ReplicaState.Status.VIEW_CHANGE || s.config.primary(s.view) != s.me) {
            return;
        }
        List<ViewChange> quorum = new ArrayList<>();
        quorum.add(own);
        List<ViewChange> others = new ArrayList<>();
        for (ViewChange vc : latest.values()) {
            if (vc.newView() == s.view && vc.replica() != s.me) {
                others.add(vc);
            }
        }
        others.sort(Comparator.comparingInt(ViewChange::replica));
        for (ViewChange vc : others) {
            if (quorum.size() < s.config.quorum()) {
                quorum.add(vc);
            }
        }
        if (quorum.size() < s.config.quorum()) {
            return;
        }
        MessageValidator.Derivation d = MessageValidator.derive(quorum);
        List<PrePrepare> prePrepares = new ArrayList<>();
        for (var e : d.proposals().entrySet()) {
            byte[] sig = s.crypto.sign(PrePrepare.signedBytes(s.view, e.getKey(), e.getValue()));
            prePrepares.add(new PrePrepare(s.view, e.getKey(), e.getValue(), sig, null));
        }
        NewView nv = new NewView(s.view, List.copyOf(quorum), prePrepares, null);
        nv = nv.signed(s.crypto.sign(nv.signedBytes()));
        ReplicaState.LOG.info("replica " + s.me + " is the primary of view " + s.view + " ("
                + prePrepares.size() + " batches re-proposed from sequence " + (d.minSequence() + 1) + ")");
        s.broadcast(nv);
        enter(nv);
    }

    void onNewView(NewView nv) {
        if (nv.view() < s.view || (nv.view() == s.view && s.status == ReplicaState.Status.NORMAL)) {
            return;
        }
        enter(nv);
    }

    /** Enters the view announced by a validated new-view message. */
    @Override
    public void enter(NewView nv) {
        s.view = nv.view();
        s.status = ReplicaState.Status.NORMAL;
        s.latestNewView = nv;
        own = null;
        deadline = Long.MAX_VALUE;
        latest.values().removeIf(vc -> vc.newView() <= nv.view());
        s.append(LogRecords.newView(nv));
        MessageValidator.Derivation d = MessageValidator.derive(nv.viewChanges());
        long minS = d.minSequence();
        // O covers only sequences above min-s: below it, the checkpoint is the only truth. Adopt it so that
        // no pre-prepare of this view can reuse a sequence at or below it (the fetch follows if behind).
        checkpointing.adopt(minS, d.checkpointSource().checkpointProof());
        long maxS = d.proposals().isEmpty() ? minS : d.proposals().lastKey();
        // Batches proposed in earlier views above maxS did not prepare anywhere in the quorum: their
        // sequence numbers are reassigned, their requests go back to the queue.
        for (Slot slot : s.slots.tailMap(maxS, false).values()) {
            if (slot.certificate == null && slot.prePrepare != null && slot.prePrepare.view() < nv.view()) {
                requeue(slot.prePrepare.digest());
                slot.reset(); // the content stays known until the sequence is below a stable checkpoint
            }
        }
        for (PrePrepare pp : nv.prePrepares()) {
            if (!s.inWindow(pp.sequence())) {
                continue;
            }
            Slot slot = s.slot(pp.sequence());
            if (normal.contradictsDecision(slot, pp.digest())) {
                // Impossible with at most f faulty replicas: a committed batch is prepared in some view
                // change of every quorum, so the derivation re-proposes it.
                ReplicaState.LOG.severe(() -> "replica " + s.me + ": new view " + nv.view() + " re-proposes sequence "
                        + pp.sequence() + " with a batch other than the one committed here; not following it");
                continue;
            }
            if (slot.prePrepare != null && !slot.prePrepare.digest().equals(pp.digest())
                    && slot.sequence > s.lastExecuted) {
                requeue(slot.prePrepare.digest());
            }
            normal.accept(slot, pp);
            if (!s.isPrimary()) {
                normal.sendPrepare(slot);
            }
        }
        s.nextSequence = Math.max(Math.max(maxS, s.lastExecuted), s.stableSequence) + 1;
        for (Map.Entry<org.ehrledger.consensus.message.RequestKey, Long> e : s.watched.entrySet()) {
            e.setValue(s.now);
        }
        ReplicaState.LOG.info(() -> "replica " + s.me + " entered view " + nv.view() + " (primary "
                + s.primary() + ")");
        normal.recheckAll();
        normal.tryPropose();
    }

    private void requeue(Digest digest) {
        Batch b = normal.batchFor(digest);
        if (b == null) {
            return;
        }
        for (Request r : b.requests()) {
            if (s.inFlight.remove(r.key()) && !s.pending.contains(r.key())
                    && s.clients.status(r.key()) == ClientTable.Status.FRESH) {
                s.pending.add(r, s.now);
            }
        }
    }

    /** Restores the view-change state from the write-ahead log. */
    void recover(ViewChange vc) {
        own = vc;
        latest.put(s.me, vc);
        s.view = vc.newView();
        s.status = ReplicaState.Status.VIEW_CHANGE;
        deadline = Long.MAX_VALUE;
        resendAt = s.now;
    }

    ViewChange own() {
        return own;
    }
}

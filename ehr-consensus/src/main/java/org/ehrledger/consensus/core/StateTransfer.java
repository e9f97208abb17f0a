package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.StateRequest;
import org.ehrledger.consensus.message.StateResponse;

/**
 * State transfer for a replica that restarted or fell behind: it asks every replica, and installs the
 * first response whose checkpoint carries 2f+1 signatures (the snapshot must hash to the certified
 * digest) and whose later batches each carry a commit certificate. No single peer is trusted.
 */
final class StateTransfer implements Synchronizer {

    /** Batches sent in one response; the requester asks again for more. */
    private static final int MAX_BATCHES_PER_RESPONSE = 64;
    private static final int MAX_RESPONSE_BYTES = 16 << 20;
    private static final long MIN_SERVE_INTERVAL_MILLIS = 50;

    private final ReplicaState s;
    private Ordering normal;
    private Checkpoints checkpointing;
    private Views viewChanges;

    private long target;
    private long behindSince = -1;
    private long lastRequestAt = Long.MIN_VALUE / 2;
    private boolean active;
    private boolean repair;
    private final Map<Integer, Long> lastServed = new HashMap<>();
    /** Per peer, the checkpoint whose snapshot it was last sent and when (snapshots are costly to send). */
    private final Map<Integer, long[]> snapshotServed = new HashMap<>();

    StateTransfer(ReplicaState s) {
        this.s = s;
    }

    /** Connects the other phases (they refer to each other, so they are connected after construction). */
    void wire(Ordering n, Checkpoints c, Views v) {
        this.normal = n;
        this.checkpointing = c;
        this.viewChanges = v;
    }

    /** Whether the replica is fetching state it needs before it can order new batches. */
    @Override
    public boolean active() {
        return active;
    }

    /** A checkpoint at {@code sequence} is certified by others but not yet executed here. */
    @Override
    public void behind(long sequence) {
        if (sequence <= s.lastExecuted) {
            return;
        }
        target = Math.max(target, sequence);
        if (behindSince < 0) {
            behindSince = s.now;
        }
    }

    /** This replica's state at {@code sequence} contradicts 2f+1 replicas: fetch theirs. */
    @Override
    public void repair(long sequence) {
        repair = true;
        target = Math.max(target, sequence);
        active = true;
        request();
    }

    /** Traffic from a view above ours: ask peers for their new view (rate limited). */
    @Override
    public void noteFutureView() {
        if (s.now - lastRequestAt >= s.settings.stateTransferRetryMillis()) {
            request();
        }
    }

    /** Asks the others for batches they committed beyond ours (normal-case messages were lost). */
    @Override
    public void askForCommitted() {
        request();
    }

    /**
     * After a restart: asks at once whether others executed more. Ordering is not held back, since
     * every peer may have restarted too and nobody may be ahead; a peer that is ahead answers with
     * certified state, and checkpoints from f+1 replicas above us mark us as behind.
     */
    void startNow() {
        request();
    }

    void onTick() {
        if (!active && behindSince >= 0 && target > s.lastExecuted
                && s.now - behindSince >= s.settings.stateTransferRetryMillis()) {
            ReplicaState.LOG.info(() -> "replica " + s.me + " is behind (executed " + s.lastExecuted
                    + ", certified checkpoint " + target + "); fetching state");
            active = true;
        }
        if (active && s.now - lastRequestAt >= s.settings.stateTransferRetryMillis()) {
            request();
        } else if (s.now - lastRequestAt >= 10 * s.settings.stateTransferRetryMillis()
                && s.now - s.lastProgressAt >= 10 * s.settings.stateTransferRetryMillis()) {
            // Anti-entropy: when nothing executed for a while, ask whether others executed more than we did
            // (a replica that missed every message about the last batches has no other way to learn it).
            // Not while batches execute: peers would answer with certificates for batches this replica
            // is about to execute anyway, and checking them costs signatures.
            request();
        }
    }

    private void request() {
        lastRequestAt = s.now;
        s.broadcast(new StateRequest(repair ? 0 : s.lastExecuted, s.view));
    }

    void onStateRequest(StateRequest sr, int from) {
        Long last = lastServed.get(from);
        if (last != null && s.now - last < MIN_SERVE_INTERVAL_MILLIS) {
            return;
        }
        boolean needSnapshot = sr.lastExecuted() < s.stableSequence && s.stableSnapshot != null;
        long[] served = snapshotServed.get(from);
        if (needSnapshot && served != null && served[0] == s.stableSequence
                && s.now - served[1] < 20 * s.settings.stateTransferRetryMillis()) {
            needSnapshot = false; // sent recently: the peer is installing it or asking again too fast
        }
        long after = sr.lastExecuted() < s.stableSequence ? s.stableSequence : sr.lastExecuted();
        List<CommittedBatch> batches = new ArrayList<>();
        int bytes = needSnapshot ? s.stableSnapshot.length : 0;
        if (!needSnapshot && sr.lastExecuted() < s.stableSequence) {
            after = Long.MAX_VALUE; // batches after our checkpoint are useless to a peer without it
        }
        for (CommittedBatch cb : s.executedBatches.tailMap(after, false).values()) {
            int size = cb.prePrepare().batch().byteSize();
            if (batches.size() >= MAX_BATCHES_PER_RESPONSE || (!batches.isEmpty() && bytes + size > MAX_RESPONSE_BYTES)) {
                break;
            }
            batches.add(cb);
            bytes += size;
        }
        NewView nv = s.latestNewView != null && s.latestNewView.view() >= sr.view() && s.view > 0
                ? s.latestNewView : null;
        if (!needSnapshot && batches.isEmpty() && nv == null) {
            return;
        }
        lastServed.put(from, s.now);
        if (needSnapshot) {
            snapshotServed.put(from, new long[] {s.stableSequence, s.now});
        }
        s.send(from, new StateResponse(s.view, s.stableSequence, s.stableProof,
                needSnapshot ? s.stableSnapshot : null, batches, nv));
    }

    void onStateResponse(StateResponse sr) {
        long before = s.lastExecuted;
        if (sr.stableSequence() > s.stableSequence && sr.stableSequence() <= s.lastExecuted
                && !sr.checkpointProof().isEmpty()) {
            checkpointing.onCertified(sr.stableSequence(), sr.checkpointProof().get(0).stateDigest(),
                    sr.checkpointProof());
        }
        if (sr.snapshot() != null && (sr.stableSequence() > s.lastExecuted
                || (repair && sr.stableSequence() >= target))) {
            install(sr.stableSequence(), sr.snapshot(), sr);
        }
        for (CommittedBatch cb : sr.batches()) {
            PrePrepare pp = cb.prePrepare();
            if (pp.sequence() <= s.lastExecuted || !s.inWindow(pp.sequence())) {
                continue;
            }
            Slot slot = s.slot(pp.sequence());
            normal.storeBatch(pp.batch());
            if (slot.certificate == null) {
                slot.certificate = cb.certificate();
            }
        }
        normal.tryExecute();
        NewView nv = sr.latestNewView();
        if (nv != null && (nv.view() > s.view || (nv.view() == s.view && s.status == ReplicaState.Status.VIEW_CHANGE))) {
            viewChanges.enter(nv);
        }
        if (s.lastExecuted >= target) {
            if (active && s.lastExecuted > before) {
                ReplicaState.LOG.info(() -> "replica " + s.me + " caught up to sequence " + s.lastExecuted);
            }
            active = false;
            behindSince = -1;
            normal.tryPropose();
        } else if (s.lastExecuted > before) {
            request(); // progress: ask for the next chunk at once
        }
    }

    private void install(long sequence, byte[] snapshot, StateResponse sr) {
        long from = s.lastExecuted;
        checkpointing.install(sequence, snapshot, repair);
        repair = false;
        Digest digest = Digest.sha256(snapshot);
        checkpointing.forgetUpTo(sequence);
        s.slots.headMap(sequence, true).clear();
        s.inFlight.clear();
        for (Slot slot : s.slots.values()) {
            if (slot.prePrepare != null) {
                var b = normal.batchFor(slot.prePrepare.digest());
                if (b != null) {
                    b.requests().forEach(r -> s.inFlight.add(r.key()));
                }
            }
        }
        s.pending.removeIf(k -> s.clients.status(k) != ClientTable.Status.FRESH);
        s.watched.keySet().removeIf(k -> s.clients.status(k) != ClientTable.Status.FRESH);
        s.nextSequence = Math.max(s.nextSequence, sequence + 1);
        ReplicaState.LOG.info(() -> "replica " + s.me + " installed the checkpoint at sequence " + sequence
                + " (was at " + from + ")");
        checkpointing.makeStable(sequence, digest, sr.checkpointProof(), snapshot);
    }
}

package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.codec.Wire;

/**
 * Checkpoints every K sequence numbers: the state digest is the SHA-256 of the snapshot (consensus
 * timestamp, replay table, application state). 2f+1 matching signed checkpoints make it stable, which
 * advances the watermarks, garbage-collects the log and compacts the write-ahead log.
 */
final class Checkpointing implements Checkpoints {

    private final ReplicaState s;
    private Synchronizer stateTransfer;
    /** Rewrites the write-ahead log as the minimal records of the current state (after a checkpoint is stable). */
    private Runnable compactLog;
    /** Checkpoint messages above the stable one, by sequence then replica. */
    private final TreeMap<Long, Map<Integer, Checkpoint>> received = new TreeMap<>();
    /** This replica's snapshots at checkpoints not yet stable. */
    private final TreeMap<Long, byte[]> ownSnapshots = new TreeMap<>();
    /** This replica's newest checkpoint message, re-sent periodically. */
    private Checkpoint latestOwn;
    private long lastHeartbeatAt;

    Checkpointing(ReplicaState s) {
        this.s = s;
    }

    /** Connects state transfer and the log compaction (they refer back, so they are connected after construction). */
    void wire(Synchronizer t, Runnable compactLog) {
        this.stateTransfer = t;
        this.compactLog = compactLog;
    }

    /** The canonical snapshot of the replicated state after {@code lastExecuted}. */
    byte[] snapshot() {
        byte[] app = s.app.snapshot();
        Wire.Writer w = new Wire.Writer(app.length + 1024);
        w.i64(s.lastExecutedTimestamp);
        s.clients.encode(w);
        w.bytes(app);
        return w.toBytes();
    }

    /**
     * Installs a snapshot certified for {@code sequence}. The application is restored if it is behind,
     * or always when {@code force} (its state was found to differ from the certified one).
     */
    @Override
    public void install(long sequence, byte[] snapshot, boolean force) {
        Wire.Reader r = new Wire.Reader(snapshot);
        long timestamp = r.i64();
        s.clients.replaceWith(r);
        byte[] app = r.bytes();
        r.expectEnd();
        if (force || s.app.lastExecuted() < sequence) {
            s.app.restore(app, sequence);
        }
        s.lastExecuted = sequence;
        s.lastExecutedTimestamp = timestamp;
    }

    @Override
    public void take(long sequence) {
        if (s.app.lastExecuted() != sequence) {
            return; // a durable application is ahead of the log being replayed; peers provide this checkpoint
        }
        byte[] snap = snapshot();
        Digest digest = Digest.sha256(snap);
        ownSnapshots.put(sequence, snap);
        Checkpoint c = new Checkpoint(sequence, digest, s.me,
                s.crypto.sign(Checkpoint.signedBytes(sequence, digest, s.me)));
        latestOwn = c;
        record(c);
        s.broadcast(c);
        checkStable(sequence);
    }

    void onCheckpoint(Checkpoint c) {
        if (c.sequence() <= s.stableSequence
                || c.sequence() > s.stableSequence + 4L * s.config.watermarkWindow()) {
            return;
        }
        record(c);
        checkStable(c.sequence());
    }

    private void record(Checkpoint c) {
        received.computeIfAbsent(c.sequence(), k -> new HashMap<>()).put(c.replica(), c);
    }

    private void checkStable(long sequence) {
        Map<Integer, Checkpoint> votes = received.get(sequence);
        if (votes == null || votes.size() < s.config.f() + 1) {
            return;
        }
        Map<Digest, List<Checkpoint>> byDigest = new HashMap<>();
        for (Checkpoint c : votes.values()) {
            byDigest.computeIfAbsent(c.stateDigest(), d -> new ArrayList<>()).add(c);
        }
        for (var e : byDigest.entrySet()) {
            if (e.getValue().size() < s.config.quorum()) {
                if (e.getValue().size() >= s.config.f() + 1 && s.lastExecuted < sequence) {
                    stateTransfer.behind(sequence); // at least one correct replica is past us
                }
                continue;
            }
            List<Checkpoint> proof = new ArrayList<>(e.getValue());
            proof.sort(Comparator.comparingInt(Checkpoint::replica));
            proof = List.copyOf(proof.subList(0, s.config.quorum()));
            byte[] own = ownSnapshots.get(sequence);
            if (own != null && Digest.sha256(own).equals(e.getKey())) {
                makeStable(sequence, e.getKey(), proof, own);
            } else if (s.lastExecuted < sequence) {
                stateTransfer.behind(sequence);
            } else if (own != null) {
                repairDivergence(sequence);
            }
            return;
        }
    }

    /**
     * Adopts the checkpoint a new view starts from (its min-s, certified by 2f+1 signatures), as the paper
     * does on entering a view: the low watermark rises to it even when this replica has not executed that
     * far, so no sequence at or below it can be ordered again here; the state is fetched if missing.
     */
    @Override
    public void adopt(long sequence, List<Checkpoint> proof) {
        if (sequence <= s.stableSequence) {
            return;
        }
        Digest digest = proof.get(0).stateDigest();
        byte[] own = ownSnapshots.get(sequence);
        if (own != null && Digest.sha256(own).equals(digest)) {
            makeStable(sequence, digest, proof, own);
            return;
        }
        if (own != null) {
            makeStable(sequence, digest, proof, null);
            repairDivergence(sequence);
            return;
        }
        ReplicaState.LOG.info(() -> "replica " + s.me + " adopts the checkpoint at " + sequence
                + " of the new view (executed " + s.lastExecuted + ")");
        makeStable(sequence, digest, proof, null);
        stateTransfer.behind(sequence);
    }

    /** This replica's state at {@code sequence} contradicts 2f+1 replicas: fetch theirs. */
    private void repairDivergence(long sequence) {
        ReplicaState.LOG.severe(() -> "replica " + s.me + ": state at " + sequence
                + " differs from the digest certified by 2f+1 replicas; repairing by state transfer");
        stateTransfer.repair(sequence);
    }

    /**
     * Makes a certified checkpoint stable: advances watermarks, collects garbage, compacts the log. The
     * snapshot is null when the checkpoint was adopted from a new view before this replica held that state;
     * installing the state later fills it in.
     */
    @Override
    public void makeStable(long sequence, Digest digest, List<Checkpoint> proof, byte[] snapshot) {
        if (sequence < s.stableSequence || (sequence == s.stableSequence
                && (s.stableSnapshot != null || snapshot == null))) {
            return;
        }
        s.setStable(sequence, digest, proof, snapshot);
        if (snapshot != null && (latestOwn == null || latestOwn.sequence() < sequence)) {
            // Installed from a peer: this replica now holds that state and may vouch for it.
            latestOwn = new Checkpoint(sequence, digest, s.me, s.crypto.sign(Checkpoint.signedBytes(sequence, digest, s.me)));
        }
        s.executedBatches.headMap(sequence, true).clear();
        received.headMap(sequence, true).clear();
        ownSnapshots.headMap(sequence, true).clear();
        Set<Digest> referenced = new HashSet<>();
        for (Slot slot : s.slots.values()) {
            referenced.addAll(slot.knownDigests);
            if (slot.certificate != null) {
                referenced.add(slot.certificate.get(0).digest());
            }
        }
        s.retainBatches(referenced);
        compactLog.run();
    }

    /** Re-sends this replica's newest checkpoint (its first copies may be lost). */
    @Override
    public void retransmitLatest() {
        if (latestOwn != null) {
            s.broadcast(latestOwn);
        }
    }

    /**
     * Periodically re-announces the newest checkpoint even when idle, so a replica that missed
     * checkpoints (partitioned, restarted, lossy link) learns it is behind or can make its own stable.
     */
    void onTick() {
        if (s.now - lastHeartbeatAt >= 10 * s.settings.stateTransferRetryMillis()) {
            lastHeartbeatAt = s.now;
            retransmitLatest();
        }
    }

    /** A checkpoint proof learned from a peer (e.g. in a state response) for state this replica already has. */
    @Override
    public void onCertified(long sequence, Digest digest, List<Checkpoint> proof) {
        byte[] own = ownSnapshots.get(sequence);
        if (sequence > s.stableSequence && own != null && Digest.sha256(own).equals(digest)) {
            makeStable(sequence, digest, proof, own);
        }
    }

    /** Forgets checkpoint votes and own snapshots at or below a sequence (after installing state). */
    @Override
    public void forgetUpTo(long sequence) {
        received.headMap(sequence, true).clear();
        ownSnapshots.headMap(sequence, true).clear();
    }
}

package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.BatchContent;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.FetchBatch;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.RequestKey;
import org.ehrledger.consensus.message.Results;

/**
 * The normal case: requests, batching at the primary, pre-prepare, prepare, commit, in-order
 * execution and replies.
 */
final class NormalCase implements Ordering {

    private static final long FETCH_RETRY_MILLIS = 200;

    private final ReplicaState s;
    private Checkpoints checkpointing;
    private Views viewChanges;
    private Synchronizer stateTransfer;

    NormalCase(ReplicaState s) {
        this.s = s;
    }

    /** Connects the other phases (they refer to each other, so they are connected after construction). */
    void wire(Checkpoints c, Views v, Synchronizer t) {
        this.checkpointing = c;
        this.viewChanges = v;
        this.stateTransfer = t;
    }

    // ---- requests and batching -------------------------------------------------------------

    void onRequest(Request r, int from) {
        RequestKey key = r.key();
        ClientTable.Status status = s.clients.status(key);
        if (status == ClientTable.Status.DUPLICATE) {
            byte[] cached = s.clients.cachedReply(key, r.digest());
            if (cached != null && from == r.clientId()) {
                s.send(r.clientId(), new ReplyBatch(s.me, s.view, r.clientId(),
                        List.of(new ReplyBatch.Reply(r.timestamp(), cached))));
            }
            return;
        }
        if (status == ClientTable.Status.STALE || s.app.clientRevokedAt(r.clientId()) > 0) {
            return;
        }
        boolean fromClient = from == r.clientId();
        if (s.inFlight.contains(key) || s.pending.contains(key)) {
            if (fromClient && !s.isPrimary() && s.status == ReplicaState.Status.NORMAL) {
                s.send(s.primary(), r);
            }
            return;
        }
        if (s.pending.size() >= s.settings.maxPendingRequests()
                || s.pending.bytes() + r.encodedSize() > s.settings.maxPendingBytes()
                || s.pending.of(r.clientId()) >= ClientTable.WINDOW / 2) {
            return; // overloaded (or one client hogging the queue): the client retransmits later
        }
        s.pending.add(r, s.now);
        if (s.isPrimary()) {
            tryPropose();
        } else {
            s.watched.putIfAbsent(key, s.now);
            if (fromClient && s.status == ReplicaState.Status.NORMAL) {
                s.send(s.primary(), r);
            }
        }
    }

    /** Cuts and proposes batches while the primary has requests and room in the pipeline. */
    @Override
    public void tryPropose() {
        if (!s.isPrimary() || s.status != ReplicaState.Status.NORMAL || stateTransfer.active()) {
            return;
        }
        while (!s.pending.isEmpty()) {
            long inFlightBatches = s.nextSequence - 1 - s.lastExecuted;
            if (s.nextSequence > s.highWatermark() || inFlightBatches >= s.settings.maxInFlightBatches()) {
                return;
            }
            if (s.viewRoom(s.nextSequence) < ClusterConfig.oneRequestBatchBytes(s.config.maxRequestBytes())) {
                return; // the view's batches above the stable checkpoint are at their bound: wait for a checkpoint
            }
            boolean full = s.pending.size() >= s.settings.maxBatchRequests()
                    || s.pending.bytes() >= s.settings.maxBatchBytes();
            long oldest = s.pending.oldestSince();
            boolean waited = s.now - oldest >= s.settings.batchDelayMillis();
            if (inFlightBatches > 0 && !full && !waited) {
                return;
            }
            if (!proposeBatch()) {
                return;
            }
        }
    }

    private boolean proposeBatch() {
        List<Request> requests = new ArrayList<>();
        long bytes = Batch.EMPTY_BYTES; // as Batch.byteSize counts
        long limit = Math.min(Math.min(s.settings.maxBatchBytes(), s.config.maxBatchBytes()), s.viewRoom(s.nextSequence));
        while (!s.pending.isEmpty() && requests.size() < s.settings.maxBatchRequests()) {
            Request r = s.pending.peek();
            if (!requests.isEmpty() && bytes + Batch.entryBytes(r.encodedSize()) > limit) {
                break;
            }
            s.pending.poll();
            if (s.clients.status(r.key()) == ClientTable.Status.FRESH && !s.inFlight.contains(r.key())
                    && !revokedFor(r.clientId(), s.nextSequence)) {
                requests.add(r);
                bytes += Batch.entryBytes(r.encodedSize());
            }
        }
        if (requests.isEmpty()) {
            return false;
        }
        long timestamp = Math.max(s.now, Math.max(s.lastProposedTimestamp, s.lastExecutedTimestamp));
        s.lastProposedTimestamp = timestamp;
        Batch batch = new Batch(timestamp, requests);
        long seq = s.nextSequence++;
        byte[] sig = s.crypto.sign(PrePrepare.signedBytes(s.view, seq, batch.digest()));
        PrePrepare pp = new PrePrepare(s.view, seq, batch.digest(), sig, batch);
        s.countViewBytes(seq, batch.byteSize());
        accept(s.slot(seq), pp);
        s.broadcast(pp);
        return true;
    }

    // ---- three phases ------------------------------------------------------------------------

    /** The view in which this replica last said that its primary passed the bound of a view's batch bytes. */
    private long viewBytesWarned = -1;

    void onPrePrepare(PrePrepare pp) {
        if (pp.view() != s.view || s.status != ReplicaState.Status.NORMAL) {
            if (pp.view() > s.view) {
                stateTransfer.noteFutureView();
            }
            return;
        }
        if (!s.inWindow(pp.sequence())) {
            return; // above the window: if we are behind, checkpoints from f+1 replicas will say so
        }
        if (s.isPrimary()) {
            return;
        }
        Slot slot = s.slot(pp.sequence());
        if (slot.prePrepare != null && slot.prePrepare.view() == s.view) {
            if (!slot.prePrepare.digest().equals(pp.digest())) {
                ReplicaState.LOG.warning(() -> "replica " + s.me + ": primary " + s.primary()
                        + " equivocated at sequence " + pp.sequence() + "; keeping the first pre-prepare");
            } else if (!s.batches.containsKey(pp.digest())) {
                contentArrived(pp.batch()); // e.g. a re-proposal of the new view, whose header came without it
            } else {
                tryExecute();
            }
            return;
        }
        for (Request r : pp.batch().requests()) {
            if (revokedFor(r.clientId(), pp.sequence())) {
                ReplicaState.LOG.warning(() -> "replica " + s.me + ": primary " + s.primary() + " proposed at sequence "
                        + pp.sequence() + " a request of client " + r.clientId() + ", revoked at sequence "
                        + s.app.clientRevokedAt(r.clientId()) + "; ignoring it");
                return;
            }
        }
        if (contradictsDecision(slot, pp.digest())) {
            ReplicaState.LOG.warning(() -> "replica " + s.me + ": primary " + s.primary() + " proposed another batch"
                    + " for sequence " + pp.sequence() + ", which already committed here; ignoring it");
            return;
        }
        boolean reProposed = reProposedByNewView(pp);
        if (!pp.batch().isEmpty() && Math.abs(pp.batch().timestamp() - s.now) > s.settings.maxClockSkewMillis()
                && !reProposed) {
            ReplicaState.LOG.warning(() -> "replica " + s.me + ": rejecting pre-prepare " + pp.sequence()
                    + " whose timestamp is too far from the local clock");
            return;
        }
        if (!reProposed) {
            int bytes = pp.batch().byteSize();
            if (bytes > s.viewRoom(pp.sequence())) {
                if (viewBytesWarned != s.view) {
                    viewBytesWarned = s.view;
                    ReplicaState.LOG.warning(() -> "replica " + s.me + ": primary " + s.primary() + " pre-prepared more than "
                            + s.config.maxViewBytes() + " bytes of batches in view " + s.view + " above the stable checkpoint "
                            + s.stableSequence + " (at sequence " + pp.sequence() + "); ignoring such pre-prepares until a checkpoint");
                }
                return;
            }
            s.countViewBytes(pp.sequence(), bytes);
        }
        accept(slot, pp);
        sendPrepare(slot);
        checkPrepared(slot);
    }

    /**
     * Whether the pre-prepare is its view's re-proposal of a batch that the view's new-view message proves
     * prepared in an earlier view: the same digest at the same sequence as a pre-prepare of that message,
     * which every replica derived and checked from 2f+1 signed view changes (this replica's
     * {@code latestNewView} was validated on arrival, built here, or read back from its own log). Such a
     * batch keeps the timestamp it was proposed with, which correct replicas checked when it was new; only
     * new proposals are held to the local clock. Any other digest, or a sequence outside the new view's
     * re-proposals, is a new proposal.
     */
    private boolean reProposedByNewView(PrePrepare pp) {
        NewView nv = s.latestNewView;
        if (nv == null || nv.view() != pp.view()) {
            return false;
        }
        for (PrePrepare reProposed : nv.prePrepares()) {
            if (reProposed.sequence() == pp.sequence()) {
                return reProposed.digest().equals(pp.digest());
            }
        }
        return false;
    }

    /**
     * Whether a client's requests are refused in the batch at {@code sequence}: it was revoked by the
     * batch at s and {@code sequence > s + L}. Judged the same by every correct replica, see
     * {@link org.ehrledger.consensus.api.Application#clientRevokedAt(int)}.
     */
    private boolean revokedFor(int clientId, long sequence) {
        long at = s.app.clientRevokedAt(clientId);
        return at > 0 && sequence > at + s.config.watermarkWindow();
    }

    /**
     * Whether accepting {@code digest} for the slot's sequence would contradict what this replica already
     * decided there: a batch it executed or holds a commit certificate for. A correct replica never
     * prepares or commits anything else at that sequence, in any later view.
     */
    @Override
    public boolean contradictsDecision(Slot slot, Digest digest) {
        if (slot.certificate != null) {
            return !slot.certificate.get(0).digest().equals(digest);
        }
        CommittedBatch executed = s.executedBatches.get(slot.sequence);
        if (executed != null) {
            return !executed.prePrepare().digest().equals(digest);
        }
        return slot.sequence <= s.lastExecuted; // executed, but the record is gone: vouch for nothing
    }

    /** Accepts a pre-prepare header (with or without its batch) into a slot and logs it. */
    @Override
    public void accept(Slot slot, PrePrepare pp) {
        if (pp.batch() != null) {
            storeBatch(pp.batch());
        }
        slot.accept(pp);
        s.append(LogRecords.prePrepare(pp));
        Batch content = batchFor(pp.digest());
        if (content != null) {
            markInFlight(content);
        } else {
            fetch(slot, pp.digest());
        }
    }

    private void markInFlight(Batch b) {
        for (Request r : b.requests()) {
            RequestKey key = r.key();
            s.pending.remove(key);
            if (s.clients.status(key) == ClientTable.Status.FRESH) {
                s.inFlight.add(key);
                if (!s.isPrimary()) {
                    s.watched.putIfAbsent(key, s.now);
                }
            }
        }
    }

    @Override
    public void storeBatch(Batch b) {
        if (b != null && !b.isEmpty() && s.holdBatch(b)) {
            s.append(LogRecords.batch(b));
        }
    }

    @Override
    public Batch batchFor(Digest d) {
        return d.equals(Batch.NULL.digest()) ? Batch.NULL : s.batches.get(d);
    }

    /**
     * Sends this replica's prepare for the slot's pre-prepare, or defers it until the batch content is
     * here: a correct replica vouches only for batches it holds, so every prepared certificate includes
     * a correct replica able to hand the content out later.
     */
    @Override
    public void sendPrepare(Slot slot) {
        PrePrepare pp = slot.prePrepare;
        if (batchFor(pp.digest()) == null) {
            slot.prepareDeferred = true;
            fetch(slot, pp.digest());
            return;
        }
        slot.prepareDeferred = false;
        Prepare p = new Prepare(pp.view(), pp.sequence(), pp.digest(), s.me,
                s.crypto.sign(Prepare.signedBytes(pp.view(), pp.sequence(), pp.digest(), s.me)));
        slot.prepares.put(s.me, p);
        slot.prepareSent = true;
        s.append(LogRecords.prepareSent(p));
        s.broadcast(p);
    }

    void onPrepare(Prepare p) {
        if (p.view() != s.view || s.status != ReplicaState.Status.NORMAL) {
            if (p.view() > s.view) {
                stateTransfer.noteFutureView();
            }
            return;
        }
        if (!s.inWindow(p.sequence())) {
            return;
        }
        Slot slot = s.slot(p.sequence());
        Prepare existing = slot.prepares.get(p.replica());
        if (existing == null || p.view() > existing.view()) {
            slot.prepares.put(p.replica(), p);
            checkPrepared(slot);
        }
    }

    void checkPrepared(Slot slot) {
        PrePrepare pp = slot.prePrepare;
        if (pp == null || pp.view() != s.view || slot.commitSent || s.status != ReplicaState.Status.NORMAL) {
            return;
        }
        if (s.config.primary(pp.view()) != s.me && !slot.prepareSent) {
            return;
        }
        if (batchFor(pp.digest()) == null) {
            return; // never commit to a batch this replica cannot hand out
        }
        List<Prepare> matching = slot.matchingPrepares();
        if (matching.size() < 2 * s.config.f()) {
            return;
        }
        matching.sort(java.util.Comparator.comparingInt(Prepare::replica));
        PreparedProof proof = new PreparedProof(pp, List.copyOf(matching.subList(0, 2 * s.config.f())));
        slot.preparedProof = proof;
        s.append(LogRecords.prepared(proof));
        Commit c = new Commit(pp.view(), pp.sequence(), pp.digest(), s.me,
                s.crypto.sign(Commit.signedBytes(pp.view(), pp.sequence(), pp.digest(), s.me)));
        slot.commits.put(s.me, c);
        slot.commitSent = true;
        s.append(LogRecords.commitSent(c));
        s.broadcast(c);
        checkCommitted(slot);
    }

    void onCommit(Commit c) {
        if (!s.inWindow(c.sequence())) {
            return; // one replica's word is no evidence that we are behind
        }
        Slot slot = s.slot(c.sequence());
        Commit existing = slot.commits.get(c.replica());
        if (existing == null || c.view() > existing.view()) {
            slot.commits.put(c.replica(), c);
            checkCommitted(slot);
        }
    }

    void checkCommitted(Slot slot) {
        if (slot.certificate != null) {
            return;
        }
        List<Commit> quorum = slot.commitQuorum(s.config.quorum());
        if (quorum == null) {
            return;
        }
        slot.certificate = quorum;
        tryExecute();
    }

    // ---- execution ---------------------------------------------------------------------------

    /** Executes every committed batch that is next in sequence and whose content is known. */
    @Override
    public void tryExecute() {
        while (true) {
            Slot slot = s.slots.get(s.lastExecuted + 1);
            if (slot == null || slot.certificate == null) {
                return;
            }
            Digest d = slot.certificate.get(0).digest();
            Batch batch = batchFor(d);
            if (batch == null) {
                fetch(slot, d);
                return;
            }
            execute(slot, batch);
        }
    }

    private void fetch(Slot slot, Digest d) {
        if (s.now - slot.lastFetchAt >= FETCH_RETRY_MILLIS) {
            slot.lastFetchAt = s.now;
            s.broadcast(new FetchBatch(d));
        }
    }

    private void execute(Slot slot, Batch batch) {
        long seq = slot.sequence;
        List<Commit> cert = slot.certificate;
        Commit first = cert.get(0);
        long timestamp = Math.max(batch.timestamp(), s.lastExecutedTimestamp);
        List<Request> fresh = new ArrayList<>();
        Set<RequestKey> seen = new HashSet<>();
        for (Request r : batch.requests()) {
            if (seen.add(r.key()) && s.clients.status(r.key()) == ClientTable.Status.FRESH) {
                fresh.add(r);
            }
        }
        OrderedBatch ordered = batch.ordered(seq, first.view(), timestamp, fresh, cert);
        List<byte[]> results = null;
        if (s.app.lastExecuted() < seq) {
            int operations = 0;
            for (Request r : fresh) {
                operations += r.operations().size();
            }
            results = s.app.execute(ordered);
            if (results == null || results.size() != operations) {
                throw new IllegalStateException("application returned " + (results == null ? "no" : results.size())
                        + " results for " + operations + " operations");
            }
        }
        Map<Integer, List<ReplyBatch.Reply>> replies = new LinkedHashMap<>();
        int at = 0;
        for (Request r : fresh) {
            s.clients.markExecuted(r.key());
            if (results != null) {
                int count = r.operations().size();
                byte[] encoded = Results.encode(results.subList(at, at + count));
                at += count;
                s.clients.cacheReply(r.key(), r.digest(), encoded);
                replies.computeIfAbsent(r.clientId(), c -> new ArrayList<>())
                        .add(new ReplyBatch.Reply(r.timestamp(), encoded));
            }
        }
        for (Request r : batch.requests()) {
            s.inFlight.remove(r.key());
            s.watched.remove(r.key());
            s.pending.remove(r.key());
        }
        s.lastExecuted = seq;
        s.lastExecutedTimestamp = timestamp;
        s.lastProgressAt = s.now;
        s.lastExecutionAt = s.now;
        PrePrepare header = slot.prePrepare != null && slot.prePrepare.digest().equals(first.digest())
                && slot.prePrepare.view() == first.view() ? slot.prePrepare
                : new PrePrepare(first.view(), seq, first.digest(), new byte[0], null);
        s.executedBatches.put(seq, new CommittedBatch(header.withBatch(batch), cert));
        s.append(LogRecords.executed(header, cert));
        for (var e : replies.entrySet()) {
            s.send(e.getKey(), new ReplyBatch(s.me, s.view, e.getKey(), e.getValue()));
        }
        if (ReplicaState.LOG.isLoggable(Level.FINE)) {
            ReplicaState.LOG.fine("replica " + s.me + " executed " + seq + " (" + fresh.size() + " requests)");
        }
        viewChanges.onProgress();
        if (seq % s.config.checkpointInterval() == 0) {
            checkpointing.take(seq);
        }
        if (s.isPrimary()) {
            tryPropose();
        }
    }

    // ---- batch content -----------------------------------------------------------------------

    void onFetchBatch(FetchBatch fb, int from) {
        Batch b = s.batches.get(fb.digest());
        if (b != null && isReferenced(fb.digest())) {
            s.send(from, new BatchContent(b));
        }
    }

    /** Whether an open slot refers to the digest (only those batches are served or accepted). */
    private boolean isReferenced(Digest d) {
        for (Slot slot : s.slots.values()) {
            if (slot.knownDigests.contains(d)
                    || (slot.certificate != null && d.equals(slot.certificate.get(0).digest()))) {
                return true;
            }
        }
        return false;
    }

    void onBatchContent(BatchContent bc) {
        Digest d = bc.batch().digest();
        if (s.batches.containsKey(d)) {
            return;
        }
        if (bc.batch().isEmpty() || !isReferenced(d)) {
            return;
        }
        contentArrived(bc.batch());
    }

    /**
     * The content of a batch that accepted slots name arrived (fetched, or with a pre-prepare whose header
     * came first, as a new view's re-proposals do): keep it, send the prepares deferred for it, and go on.
     */
    private void contentArrived(Batch b) {
        Digest d = b.digest();
        storeBatch(b);
        for (Slot slot : new ArrayList<>(s.slots.values())) {
            if (d.equals(slot.digest())) {
                if (slot.sequence > s.lastExecuted) {
                    markInFlight(b);
                }
                if (slot.prepareDeferred && slot.prePrepare.view() == s.view
                        && s.status == ReplicaState.Status.NORMAL) {
                    sendPrepare(slot);
                }
                checkPrepared(slot);
            }
        }
        tryExecute();
    }

    /** Re-examines every slot, e.g. after entering a new view or installing state. */
    @Override
    public void recheckAll() {
        for (Slot slot : new ArrayList<>(s.slots.values())) {
            checkPrepared(slot);
            checkCommitted(slot);
        }
        tryExecute();
    }

    /** Periodic work: cut batches whose delay expired, and retransmit when ordering is stuck. */
    void onTick() {
        tryPropose();
        tryExecute();
        if (s.now - s.lastProgressAt >= s.settings.stateTransferRetryMillis() && hasWorkAbove()) {
            s.lastProgressAt = s.now;
            retransmit();
        }
    }

    private boolean hasWorkAbove() {
        for (Slot slot : s.slots.tailMap(s.lastExecuted, false).values()) {
            if (slot.prePrepare != null || !slot.commits.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Messages are lost: re-send what this replica said about every sequence not yet executed here, and
     * ask the others for batches they have already committed (they answer with commit certificates).
     */
    private void retransmit() {
        for (Slot slot : s.slots.tailMap(s.lastExecuted, false).values()) {
            if (slot.certificate != null) {
                continue;
            }
            PrePrepare pp = slot.prePrepare;
            if (pp != null && pp.view() == s.view && s.isPrimary() && s.status == ReplicaState.Status.NORMAL) {
                Batch b = batchFor(pp.digest());
                if (b != null && !b.isEmpty()) {
                    s.broadcast(pp.withBatch(b));
                }
            }
            Prepare ownPrepare = slot.prepares.get(s.me);
            if (ownPrepare != null && ownPrepare.view() == s.view) {
                s.broadcast(ownPrepare);
            }
            Commit ownCommit = slot.commits.get(s.me);
            if (ownCommit != null) {
                s.broadcast(ownCommit);
            }
        }
        checkpointing.retransmitLatest();
        stateTransfer.askForCommitted();
    }
}

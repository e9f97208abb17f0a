package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.ConsensusLog;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.RequestKey;

/**
 * Everything a replica knows, shared by the phase handlers. Only the replica's own thread touches it.
 * Also the outbox: messages produced while handling an event are sent only after the log is flushed.
 */
final class ReplicaState {

    static final Logger LOG = Logger.getLogger("org.ehrledger.consensus");

    enum Status { NORMAL, VIEW_CHANGE }

    private record Outgoing(int destination, byte[] frame) {
    }

    final ClusterConfig config;
    final ReplicaSettings settings;
    final int me;
    final NodeCrypto crypto;
    final MessageValidator validator;
    final Application app;
    final ConsensusLog log;
    final Transport transport;

    long now;
    long view;
    Status status = Status.NORMAL;

    long lastExecuted;
    long lastExecutedTimestamp;
    final ClientTable clients;

    long stableSequence;
    Digest stableDigest = MessageValidator.GENESIS;
    List<Checkpoint> stableProof = List.of();
    byte[] stableSnapshot;

    final TreeMap<Long, Slot> slots = new TreeMap<>();
    /** Batch contents by digest: changed through {@link #holdBatch} and {@link #retainBatches} only. */
    final Map<Digest, Batch> batches = new HashMap<>();
    private long heldBatchBytes;
    final TreeMap<Long, CommittedBatch> executedBatches = new TreeMap<>();
    /**
     * Bytes of the batches newly pre-prepared in {@link #viewBytesOf} above the stable checkpoint, by sequence:
     * at most {@link ClusterConfig#maxViewBytes()} in all ({@link #viewBytes()}).
     */
    private final TreeMap<Long, Integer> viewBatchBytes = new TreeMap<>();
    private long viewBatchBytesTotal;
    private long viewBytesOf = -1;

    /** Requests known but not yet in an accepted pre-prepare (the primary batches from here). */
    final PendingRequests pending = new PendingRequests();
    /** Requests this replica waits to see executed; the oldest drives the view-change timer. */
    final LinkedHashMap<RequestKey, Long> watched = new LinkedHashMap<>();
    /** Requests in accepted but not yet executed pre-prepares. */
    final java.util.HashSet<RequestKey> inFlight = new java.util.HashSet<>();

    long nextSequence = 1;
    /** When this replica last executed a batch or retransmitted because it could not. */
    long lastProgressAt;
    /** When this replica last executed a batch (restarts the view-change timer). */
    long lastExecutionAt;
    /** When the timers last ran (a long gap means the replica itself was not running). */
    long lastTickAt;
    long lastProposedTimestamp;

    NewView latestNewView;

    private final List<Outgoing> outbox = new ArrayList<>();
    private boolean logDirty;
    /** Set while replaying the log: nothing is logged again and nothing is sent. */
    boolean recovering;

    ReplicaState(ClusterConfig config, ReplicaSettings settings, int me, NodeCrypto crypto, MessageValidator validator,
                 Application app, ConsensusLog log, Transport transport) {
        this.config = config;
        this.settings = settings;
        this.me = me;
        this.crypto = crypto;
        this.validator = validator;
        this.app = app;
        this.log = log;
        this.transport = transport;
        this.clients = new ClientTable(settings.replyCacheSize());
    }

    /**
     * Records a stable checkpoint (its snapshot null while the state is still to be fetched) and drops the
     * protocol state of the sequences at or below it.
     */
    void setStable(long sequence, Digest digest, List<Checkpoint> proof, byte[] snapshot) {
        stableSequence = sequence;
        stableDigest = digest;
        stableProof = proof;
        stableSnapshot = snapshot;
        slots.headMap(sequence, true).clear();
        var below = viewBatchBytes.headMap(sequence, true);
        below.values().forEach(b -> viewBatchBytesTotal -= b);
        below.clear();
    }

    /** The bytes of batches newly pre-prepared in the current view above the stable checkpoint. */
    long viewBytes() {
        if (viewBytesOf != view) {
            viewBatchBytes.clear();
            viewBatchBytesTotal = 0;
            viewBytesOf = view;
        }
        return viewBatchBytesTotal;
    }

    /**
     * The bytes a batch newly pre-prepared at {@code sequence} in the current view may have: what the view's bound
     * leaves after its batches above the stable checkpoint and a one-request batch for each later sequence up to
     * the next checkpoint ({@link ClusterConfig#maxViewBytes()}).
     */
    long viewRoom(long sequence) {
        long interval = config.checkpointInterval();
        long nextCheckpoint = (sequence + interval - 1) / interval * interval;
        return config.maxViewBytes() - viewBytes()
                - (nextCheckpoint - sequence) * ClusterConfig.oneRequestBatchBytes(config.maxRequestBytes());
    }

    /** Counts a batch newly pre-prepared at {@code sequence} in the current view. */
    void countViewBytes(long sequence, int bytes) {
        viewBytes();
        Integer before = viewBatchBytes.put(sequence, bytes);
        viewBatchBytesTotal += bytes - (before == null ? 0 : before);
    }

    /** Keeps a batch's content; false if it was already held. */
    boolean holdBatch(Batch b) {
        if (batches.putIfAbsent(b.digest(), b) != null) {
            return false;
        }
        heldBatchBytes += b.byteSize();
        return true;
    }

    /** Lets go of every batch content but those named. */
    void retainBatches(java.util.Set<Digest> kept) {
        var it = batches.values().iterator();
        while (it.hasNext()) {
            Batch b = it.next();
            if (!kept.contains(b.digest())) {
                heldBatchBytes -= b.byteSize();
                it.remove();
            }
        }
    }

    /** The bytes of every batch content this replica holds (what a status reports). */
    long heldBatchBytes() {
        return heldBatchBytes;
    }

    int primary() {
        return config.primary(view);
    }

    boolean isPrimary() {
        return primary() == me;
    }

    long lowWatermark() {
        return stableSequence;
    }

    long highWatermark() {
        return stableSequence + config.watermarkWindow();
    }

    boolean inWindow(long sequence) {
        return sequence > lowWatermark() && sequence <= highWatermark();
    }

    /** The slot for a sequence inside the watermarks, created on first use. */
    Slot slot(long sequence) {
        return slots.computeIfAbsent(sequence, Slot::new);
    }

    void send(int destination, Message m) {
        if (destination == me) {
            return;
        }
        byte[] frame = Envelope.seal(crypto, m).to(destination);
        if (frame != null) {
            outbox.add(new Outgoing(destination, frame));
        }
    }

    void broadcast(Message m) {
        Envelope.Sealed sealed = Envelope.seal(crypto, m);
        for (int r = 0; r < config.n(); r++) {
            if (r != me) {
                byte[] frame = sealed.to(r);
                if (frame != null) {
                    outbox.add(new Outgoing(r, frame));
                }
            }
        }
    }

    void append(byte[] record) {
        if (recovering) {
            return;
        }
        log.append(record);
        logDirty = true;
    }

    /** Forgets what the current event produced: after a failure nothing of it may leave the replica. */
    void discardOutbox() {
        outbox.clear();
        logDirty = false;
    }

    /** Makes the log durable, then releases the outbox (write-ahead rule). */
    void flush() {
        if (logDirty) {
            log.flush();
            logDirty = false;
        }
        if (recovering) {
            outbox.clear();
            return;
        }
        for (Outgoing o : outbox) {
            transport.send(o.destination(), o.frame());
        }
        outbox.clear();
    }
}

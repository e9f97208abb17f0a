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
    final Map<Digest, Batch> batches = new HashMap<>();
    final TreeMap<Long, CommittedBatch> executedBatches = new TreeMap<>();

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

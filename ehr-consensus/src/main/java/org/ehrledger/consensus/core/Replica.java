package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.Failures;
import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.ConsensusLog;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.BatchContent;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.FetchBatch;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.StateRequest;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;

/**
 * A PBFT replica. {@link #authenticate(byte[])} is thread-safe and may run on many threads; every
 * other method must be called from one thread at a time (the {@link ReplicaRunner} in production, the
 * simulated network in tests). The replica never blocks and owns no threads or sockets.
 */
public final class Replica {

    private final ReplicaState s;
    private final NormalCase normal;
    private final Checkpointing checkpointing;
    private final ViewChanges viewChanges;
    private final StateTransfer stateTransfer;
    private final AtomicLong rejected = new AtomicLong();
    private volatile ReplicaStatus status;
    /** Why the replica stopped; once set, it handles nothing more (fail-stop). */
    private volatile String failure;

    /**
     * @param config    genesis configuration
     * @param settings  local tunables
     * @param id        this replica's id
     * @param keys      this replica's private keys
     * @param clients   admitted clients
     * @param app       the replicated application
     * @param log       this replica's write-ahead log
     * @param transport the network
     */
    public Replica(ClusterConfig config, ReplicaSettings settings, int id, NodeKeys keys, ClientDirectory clients,
                   Application app, ConsensusLog log, Transport transport) {
        if (!config.isReplica(id)) {
            throw new IllegalArgumentException("replica id " + id + " is not in the genesis configuration");
        }
        if (!config.replicaKeys(id).equals(keys.publicKeys())) {
            throw new IllegalArgumentException("the private keys of replica " + id
                    + " do not match its public keys in the genesis configuration");
        }
        KeyDirectory directory = new KeyDirectory(config, clients);
        this.s = new ReplicaState(config, settings, id, directory.crypto(id, keys),
                new MessageValidator(config, directory), app, log, transport);
        this.normal = new NormalCase(s);
        this.checkpointing = new Checkpointing(s);
        this.viewChanges = new ViewChanges(s);
        this.stateTransfer = new StateTransfer(s);
        normal.wire(checkpointing, viewChanges, stateTransfer);
        checkpointing.wire(stateTransfer, this::compactLog);
        viewChanges.wire(normal, checkpointing);
        stateTransfer.wire(normal, checkpointing, viewChanges);
        publishStatus();
    }

    /** This replica's id. */
    public int id() {
        return s.me;
    }

    /**
     * Recovers from the write-ahead log and the application, then asks the other replicas for anything
     * missed while down. Call once, before any message.
     */
    public void start(long now) {
        run(now, () -> {
            new Recovery(s, normal, checkpointing, viewChanges).run();
            stateTransfer.behind(s.stableSequence); // a checkpoint adopted from a new view whose state is missing
            if (s.lastExecuted > 0 || s.view > 0 || !s.log.readAll().isEmpty()) {
                stateTransfer.startNow();
            }
        });
    }

    /**
     * Runs one event, then makes its log records durable and releases its messages. An exception in the
     * middle of an event (the application failing half-way, a log write failing) may leave the state
     * half-changed: the replica then stops for good rather than run on from a state no correct replica
     * has, and sends nothing of that event. A restart recovers from the durable log.
     */
    private void run(long now, Runnable event) {
        if (failure != null) {
            return;
        }
        s.now = now;
        try {
            event.run();
            s.flush();
        } catch (RuntimeException | Error e) {
            s.discardOutbox();
            fail(e);
        }
        publishStatus();
    }

    /** Stops the replica for good after an error (fail-stop); every later call is ignored. */
    public void fail(Throwable cause) {
        if (failure != null) {
            return;
        }
        failure = Failures.describe(cause);
        ReplicaState.LOG.log(Level.SEVERE, "replica " + s.me + " stopped after an error and will handle nothing more"
                + " (restart it: it recovers from its write-ahead log): " + failure, cause);
        publishStatus();
    }

    /** Whether the replica stopped after an error. */
    public boolean failed() {
        return failure != null;
    }

    /**
     * Authenticates a frame (link MAC) and validates its signatures and certificates. Thread-safe.
     *
     * @return the message, or null if it must be ignored
     */
    public Envelope authenticate(byte[] frame) {
        try {
            Envelope e = Envelope.open(s.crypto, frame);
            String problem = s.validator.check(e);
            if (problem != null) {
                reject(e.sender(), problem);
                return null;
            }
            return e;
        } catch (MalformedMessageException | IllegalArgumentException ex) {
            reject(Envelope.claimedSender(frame), ex.getMessage());
            return null;
        } catch (RuntimeException ex) {
            // Hostile input must never reach the core or kill a transport thread.
            reject(Envelope.claimedSender(frame), "undecodable: " + ex);
            return null;
        }
    }

    private void reject(int sender, String reason) {
        rejected.incrementAndGet();
        if (ReplicaState.LOG.isLoggable(Level.FINE)) {
            ReplicaState.LOG.fine("replica " + s.me + " ignored a message from " + sender + ": " + reason);
        }
    }

    /** Authenticates and handles a frame on the replica thread (used by the simulated network). */
    public void receive(byte[] frame, long now) {
        Envelope e = authenticate(frame);
        if (e != null) {
            handle(e, now);
        } else if (failure == null) {
            s.now = now;
        }
    }

    /** Handles an authenticated message on the replica thread. */
    public void handle(Envelope e, long now) {
        run(now, () -> dispatch(e.sender(), e.message()));
    }

    /** Handles several authenticated messages, then flushes the log once (group commit). */
    public void handleAll(List<Envelope> batch, long now) {
        run(now, () -> {
            for (Envelope e : batch) {
                dispatch(e.sender(), e.message());
            }
        });
    }

    private void dispatch(int from, Message m) {
        if (m instanceof Request r) {
            normal.onRequest(r, from);
        } else if (m instanceof PrePrepare pp) {
            normal.onPrePrepare(pp);
        } else if (m instanceof Prepare p) {
            normal.onPrepare(p);
        } else if (m instanceof Commit c) {
            normal.onCommit(c);
        } else if (m instanceof Checkpoint c) {
            checkpointing.onCheckpoint(c);
        } else if (m instanceof ViewChange vc) {
            viewChanges.onViewChange(vc);
        } else if (m instanceof NewView nv) {
            viewChanges.onNewView(nv);
        } else if (m instanceof StateRequest sr) {
            stateTransfer.onStateRequest(sr, from);
        } else if (m instanceof StateResponse sr) {
            stateTransfer.onStateResponse(sr);
        } else if (m instanceof FetchBatch fb) {
            normal.onFetchBatch(fb, from);
        } else if (m instanceof BatchContent bc) {
            normal.onBatchContent(bc);
        }
        // ReplyBatch is for clients; a replica ignores it.
    }

    /** Drives timers: batching delay, view-change timeout, state-transfer retries. */
    public void tick(long now) {
        run(now, () -> {
            long gap = now - s.lastTickAt;
            if (s.lastTickAt > 0 && gap > s.settings.viewChangeTimeoutMillis() / 2) {
                // This replica was not running (process paused, long GC pause, starved host): the time that
                // passed says nothing about the primary. Restart the timers instead of suspecting it before
                // even reading what the others sent meanwhile.
                ReplicaState.LOG.info(() -> "replica " + s.me + " was not scheduled for " + gap
                        + " ms; restarting its timers before judging the primary");
                s.watched.replaceAll((key, since) -> now);
                s.lastExecutionAt = now;
                viewChanges.postpone(gap);
            }
            s.lastTickAt = now;
            normal.onTick();
            viewChanges.onTick();
            checkpointing.onTick();
            stateTransfer.onTick();
        });
    }

    /** The latest status; safe to call from any thread. */
    public ReplicaStatus status() {
        return status;
    }

    private void publishStatus() {
        status = new ReplicaStatus(s.me, s.view, s.primary(), s.status == ReplicaState.Status.VIEW_CHANGE,
                s.lastExecuted, s.stableSequence, s.pending.size(), stateTransfer.active(), rejected.get(), s.heldBatchBytes(),
                failure);
    }

    /** Rewrites the write-ahead log as the minimal records that reproduce the current state. */
    void compactLog() {
        List<byte[]> records = new ArrayList<>();
        records.add(LogRecords.view(s.view));
        if (s.stableSnapshot != null) {
            records.add(LogRecords.stable(s.stableSequence, s.stableProof, s.stableSnapshot));
        } else if (s.stableSequence > 0) {
            records.add(LogRecords.checkpointProof(s.stableSequence, s.stableProof));
        }
        if (s.latestNewView != null) {
            records.add(LogRecords.newView(s.latestNewView));
        }
        for (Slot slot : s.slots.values()) {
            for (var d : slot.knownDigests) {
                Batch b = normal.batchFor(d);
                if (b != null && !b.isEmpty()) {
                    records.add(LogRecords.batch(b));
                }
            }
            // Records keep the order in which they happened: a commit sent in an older view precedes the
            // pre-prepare of the newer view, whose acceptance cleared the per-view flags.
            Commit ownCommit = slot.commits.get(s.me);
            boolean commitOfOlderView = ownCommit != null && slot.prePrepare != null
                    && ownCommit.view() < slot.prePrepare.view();
            if (commitOfOlderView) {
                records.add(LogRecords.commitSent(ownCommit));
            }
            if (slot.prePrepare != null) {
                records.add(LogRecords.prePrepare(slot.prePrepare));
                Prepare own = slot.prepares.get(s.me);
                if (own != null && slot.prepareSent) {
                    records.add(LogRecords.prepareSent(own));
                }
            }
            if (slot.preparedProof != null) {
                records.add(LogRecords.prepared(slot.preparedProof));
            }
            if (ownCommit != null && !commitOfOlderView) {
                records.add(LogRecords.commitSent(ownCommit));
            }
            CommittedBatch executed = s.executedBatches.get(slot.sequence);
            if (executed != null) {
                if (!slot.knownDigests.contains(executed.prePrepare().digest())) {
                    records.add(LogRecords.batch(executed.prePrepare().batch()));
                }
                records.add(LogRecords.executed(executed.prePrepare(), executed.certificate()));
            }
        }
        if (s.status == ReplicaState.Status.VIEW_CHANGE && viewChanges.own() != null) {
            records.add(LogRecords.viewChangeSent(viewChanges.own()));
        }
        s.log.rewrite(records);
    }
}

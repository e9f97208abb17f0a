package org.ehrledger.ejb.infrastructure.consensus;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.annotation.security.PermitAll;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.ClientOverloadedException;
import org.ehrledger.consensus.node.JvmCheck;
import org.ehrledger.consensus.node.ConsensusNode;
import org.ehrledger.consensus.api.ConsensusTimeoutException;
import org.ehrledger.consensus.node.GenesisDirectory;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.PeerTls;
import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.api.Failures;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.application.ledger.IntegrityChecks;
import org.ehrledger.ejb.application.ledger.LedgerApplication;
import org.ehrledger.ejb.application.ledger.LedgerDamage;
import org.ehrledger.ejb.application.ledger.LedgerResult;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;

/**
 * Owns this replica: the PBFT {@link ConsensusNode} over its JGroups channel, executing committed batches on
 * the {@link LedgerRuntime} (one JTA transaction per block, on a container-managed thread), and the PBFT
 * client through which session beans submit signed transactions and wait for them to commit.
 *
 * <p>Submission is bounded: at most {@code ehr.submit.max-in-flight} transactions wait at once; beyond
 * that a caller waits up to {@code ehr.submit.queue-wait-ms} for a place and then gets {@link ErrorCode#BUSY}.
 * A transaction not committed within {@code ehr.submit.timeout-ms} gets {@link ErrorCode#COMMIT_TIMEOUT}.
 *
 * <p>Internal: reached only by injection from the role-checked session beans (hence no roles here);
 * it runs outside any transaction so that waiting for consensus never holds a database transaction open.
 */
@Singleton
@Startup
@DependsOn("LedgerDatabase")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@PermitAll
public class ConsensusGateway {

    private static final Logger LOG = Logger.getLogger(ConsensusGateway.class.getName());
    private static final int INBOUND_QUEUE = 20_000;

    @Inject
    ReplicaConfig config;

    @Inject
    LedgerRuntime ledger;

    @Resource
    ManagedThreadFactory threads;

    @Inject
    IntegrityChecks integrity;

    private volatile ClusterConfig genesis;
    private volatile ConsensusNode node;
    private ScheduledExecutorService syncTimer;
    private BlockSyncServer syncServer;
    private Semaphore permits;
    private volatile String problem = "";
    private final Object executed = new Object();
    private static final int RECENT_HASHES = 4096;
    /**
     * Hashes of the most recent blocks by height, for answering submitters without touching the ledger:
     * the ledger's own header cache sits behind its read lock, which waits while a block executes
     * (measured: reading it there raised p99 of the end-to-end benchmark by about 50-100 ms).
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, String> recentHashes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Moving average of the time to execute and store one batch (block), in microseconds. */
    private volatile double executeMicros;
    /** Height of this replica's head block, as of the last executed batch. */
    private volatile long height = -1;
    /** Seconds of history on the cluster page. */
    public static final int TIMELINE_SECONDS = 600;
    /** Latency of the requests submitted here, and the events that explain it (read by the cluster page). */
    private final LatencyTimeline timeline = new LatencyTimeline(TIMELINE_SECONDS);
    private ScheduledExecutorService watcher;

    @PostConstruct
    void start() {
        permits = new Semaphore(config.maxInFlight());
        try {
            ledger.load();
            GenesisDirectory dir = GenesisDirectory.at(config.genesisDir());
            if (!dir.exists()) {
                problem = "no genesis file at " + dir.genesisFile() + ": create the network's genesis (ci/cluster.sh does)"
                        + " and set ehr.genesis.dir";
                LOG.severe("replica not started: " + problem);
                return;
            }
            ClusterConfig cluster = dir.genesis();
            int id = config.replicaId();
            if (!cluster.isReplica(id)) {
                problem = "ehr.replica.id=" + id + " is not a replica of the genesis file " + dir.genesisFile();
                LOG.severe("replica not started: " + problem);
                return;
            }
            // Every block, state row and content, checked while the replica serves (the start read none of them).
            integrity.start(new ChainVerifier(cluster));
            startBlockSync(cluster, id, dir.replicaTls(id, Duration.ofMillis(BlockSync.IO_TIMEOUT_MILLIS)));
            if (!config.tls()) {
                LOG.warning("ehr.jgroups.tls=false: replica links are authenticated but NOT encrypted");
            }
            ConsensusNode.Builder replica = ConsensusNode.builder(dir, id).application(new LedgerApplicationAdapter())
                    .dataDir(config.dataDir().resolve("consensus"))
                    .settings(ReplicaSettings.builder().viewChangeTimeoutMillis(config.viewChangeTimeoutMillis())
                            .maxInFlightBatches(config.pipeline()).batchDelayMillis(config.batchDelayMillis()).build())
                    .client(ClientSettings.builder().retransmitMillis(config.clientRetransmitMillis())
                            .maxRetransmitMillis(4 * config.clientRetransmitMillis())
                            .requestTimeoutMillis(config.submitTimeoutMillis()).maxOutstanding(config.maxInFlight() * 4)
                            .maxInFlightRequests(config.clientInFlight()).maxBundleOperations(256)
                            .maxBundleBytes(RecordService.MAX_BATCH_BYTES).build()) // a bundle holds a whole batch of records
                    .clusterName(config.clusterName()).bindAddress(config.bindAddress().orElse(null))
                    .port(config.port().orElse(null)).clientPort(config.clientPort().orElse(null))
                    .initialHosts(config.initialHosts().orElse(null)).stackFile(config.stackFile().orElse(null))
                    .tls(config.tls()).threads(threads).inboundQueue(INBOUND_QUEUE);
            config.advertise().ifPresent(a -> replica.advertise(a.getHostString(), a.getPort()));
            genesis = cluster;
            node = replica.start();
            ConsensusNode started = node;
            TimelineWatch watch = new TimelineWatch(timeline, started::status, started::reachable,
                    () -> ledger.query(WorldState::emergency), cluster.n(), System::currentTimeMillis);
            watcher = Executors.newSingleThreadScheduledExecutor(threads);
            watcher.scheduleWithFixedDelay(watch::sample, 0, TimelineWatch.PERIOD_MILLIS, TimeUnit.MILLISECONDS);
            String bind = config.bindAddress().orElse(cluster.replicas().get(id).host());
            int port = config.port().orElse(cluster.replicas().get(id).port());
            LOG.info(() -> "replica " + id + " of " + cluster.n() + " started: JGroups " + bind + ":" + port
                    + (config.tls() ? " (TLS)" : " (no TLS)")
                    + ", organisation " + config.organisationId() + ", data " + config.dataDir());
            String jvm = JvmCheck.problem();
            if (jvm != null) {
                LOG.severe(jvm);
            }
        } catch (Exception e) {
            LedgerDamage damage = ledger.damage();
            if (damage != null) {
                problem = damage.summary(); // the ledger logged it, once
            } else {
                problem = "could not start the replica: " + e.getMessage();
                LOG.log(Level.SEVERE, problem, e);
            }
            stop();
        }
    }

    /**
     * Starts this replica's block sync listener and points the ledger at the other replicas' listeners: mutual
     * TLS 1.3 with the genesis replica keys, always (there is no clear-text block sync).
     */
    private void startBlockSync(ClusterConfig cluster, int id, PeerTls tls) throws IOException {
        syncTimer = Executors.newSingleThreadScheduledExecutor(threads);
        syncServer = new BlockSyncServer(id, cluster, tls, ledger::serve, threads, syncTimer, config.syncBind(cluster));
        syncServer.start();
        ledger.peers(new PeerBlockSource(id, config.syncPeers(cluster), tls, syncTimer));
    }

    @PreDestroy
    void stop() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
        if (node != null) {
            node.close();
        }
        if (syncServer != null) {
            syncServer.close();
            LOG.info(() -> "block sync: " + syncServer.counters());
        }
        if (syncTimer != null) {
            syncTimer.shutdownNow();
        }
        LOG.info("replica stopped");
    }

    /** This replica's consensus id. */
    public int replicaId() {
        return config.replicaId();
    }

    /** Whether the replica runs (configured and started). */
    public boolean running() {
        ConsensusNode r = node;
        return r != null && problem.isEmpty() && !r.failed();
    }

    /** Why the replica does not run, or "" while it does. */
    private String problem() {
        ConsensusNode r = node;
        if (r != null && r.failed()) {
            String failure = r.status().failure();
            return "the replica stopped after an error (" + failure + "); "
                    + (failure.startsWith(Failures.DISK_FULL) ? "free space on the disk of its database and data directory, then " : "")
                    + "restart it, it recovers from its log";
        }
        return problem;
    }

    /**
     * Submits operations that are ordered together (a transaction, then its content if any) and waits
     * until f+1 replicas agree on the outcome; returns one result per operation.
     *
     * @throws EhrException {@link ErrorCode#UNAVAILABLE}, {@link ErrorCode#BUSY} or {@link ErrorCode#COMMIT_TIMEOUT}
     */
    public List<LedgerResult> submit(List<byte[]> operations) {
        if (!running()) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "this replica is not running: " + problem());
        }
        long submitted = System.nanoTime(); // the caller's wait for a place counts: it is part of what they see
        boolean admitted;
        try {
            admitted = permits.tryAcquire(config.queueWaitMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EhrException(ErrorCode.UNAVAILABLE, "interrupted while waiting to submit");
        }
        if (!admitted) {
            timeline.record(System.currentTimeMillis(), System.nanoTime() - submitted, false);
            throw new EhrException(ErrorCode.BUSY, "this replica already has " + config.maxInFlight()
                    + " transactions waiting to commit; retry in a moment or use another replica");
        }
        boolean committed = false;
        try {
            CompletableFuture<List<byte[]>> future = node.submitGroup(operations);
            List<byte[]> raw = future.get(config.submitTimeoutMillis() + 1_000, TimeUnit.MILLISECONDS);
            committed = true;
            List<LedgerResult> results = new ArrayList<>(raw.size());
            for (byte[] r : raw) {
                results.add(LedgerResult.decode(r));
            }
            return results;
        } catch (TimeoutException e) {
            throw timeout();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ConsensusTimeoutException) {
                throw timeout();
            }
            if (e.getCause() instanceof ClientOverloadedException) {
                throw new EhrException(ErrorCode.BUSY, "this replica's submission queue is full; retry in a moment");
            }
            LOG.log(Level.WARNING, "submission failed", e.getCause());
            throw new EhrException(ErrorCode.UNAVAILABLE, "the submission failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EhrException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the commit");
        } finally {
            timeline.record(System.currentTimeMillis(), System.nanoTime() - submitted, committed);
            permits.release();
        }
    }

    /**
     * The last {@code seconds} of this replica's timeline: latency of the requests submitted here per second,
     * and the view changes, emergency-state switches and replicas joining or leaving in that time.
     */
    public LatencyTimeline.Snapshot timeline(int seconds) {
        return timeline.snapshot(System.currentTimeMillis(), seconds);
    }

    private EhrException timeout() {
        return new EhrException(ErrorCode.COMMIT_TIMEOUT, "the transaction was not committed within "
                + config.submitTimeoutMillis() / 1000 + " s: fewer than " + (genesis.quorum())
                + " replicas may be reachable (see GET /api/v1/cluster). It may still commit; check before retrying");
    }

    /**
     * Waits until this replica has executed up to {@code height} (a write committed by a quorum may reach
     * this replica's ledger a moment later); returns whether it has.
     */
    public boolean awaitHeight(long height, long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (executed) {
            if (this.height < 0) {
                this.height = ledger.head().header().height();
            }
            while (this.height < height) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                try {
                    executed.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** The hash (hex) of a block this replica executed recently, or null. */
    public String recentBlockHash(long height) {
        return recentHashes.get(height);
    }

    /** The genesis configuration, or null when the replica is not configured. */
    public ClusterConfig genesis() {
        return genesis;
    }

    /**
     * Why this replica serves nothing and what the operator does about it, or null while its ledger is
     * sound.
     */
    public String damaged() {
        LedgerDamage d = ledger.damage();
        return d == null ? null : d.summary() + ". This replica serves no requests until it is repaired: "
                + LedgerDamage.remedy(config.replicaId() + 1);
    }

    /** How long a count of the records on chain is reused by {@link #status()} (a count scans an index). */
    static final long RECORD_COUNT_MILLIS = 10_000;
    private volatile long recordCount = -1;
    private volatile long recordCountAt;

    /** The clinical records on chain, counted at most every {@value #RECORD_COUNT_MILLIS} ms; -1 if it cannot be counted. */
    private long records() {
        long now = System.currentTimeMillis();
        if (recordCount < 0 || now - recordCountAt > RECORD_COUNT_MILLIS) {
            try {
                recordCount = ledger.query(WorldState::recordCount);
                recordCountAt = now;
            } catch (RuntimeException e) {
                LOG.fine(() -> "records not counted: " + e);
            }
        }
        return recordCount;
    }

    /** This replica's status. */
    public ClusterStatus status() {
        ConsensusNode r = node;
        ClusterConfig g = genesis;
        LedgerDamage damage = ledger.damage();
        if (damage != null) {
            return new ClusterStatus(config.replicaId(), "damaged", config.organisationId(), g == null ? 0 : g.n(),
                    g == null ? 0 : g.f(), 0, 0, false, -1, -1, "", -1, 0, false, 0, List.of(config.replicaId()), null, 0, 0,
                    damage.summary(), damage.height(), LedgerDamage.remedy(config.replicaId() + 1), integrity.state(),
                    integrity.progress());
        }
        Block head = ledger.head();
        String headHash = head.header().hash().hex();
        if (r == null || g == null) {
            return new ClusterStatus(config.replicaId(), "unconfigured", config.organisationId(), 0, 0, 0, 0, false,
                    ledger.lastExecuted(), head.header().height(), headHash, records(), 0, false, 0, List.of(), null, 0, 0, problem,
                    -1, "", integrity.state(), integrity.progress());
        }
        ReplicaStatus s = r.status();
        TreeSet<Integer> members = new TreeSet<>();
        members.add(r.id());
        for (int id : r.reachable()) {
            if (g.isReplica(id)) {
                members.add(id);
            }
        }
        int inFlight = config.maxInFlight() - permits.availablePermits();
        String state = s.failed() ? "stopped" : s.stateTransfer() ? "catching-up"
                : members.size() >= g.quorum() ? "running" : "waiting-for-peers";
        return new ClusterStatus(r.id(), state, config.organisationId(), g.n(), g.f(), s.view(), s.primary(),
                s.viewChangeInProgress(), s.lastExecuted(), head.header().height(), headHash, records(), s.stableCheckpoint(),
                s.stateTransfer(), s.pendingRequests(), List.copyOf(members), r.links(), inFlight, Math.round(executeMicros / 100) / 10.0,
                problem(), -1, "", integrity.state(), integrity.progress());
    }

    /** The consensus application: the ledger, each call in its own transaction, waking height waiters after. */
    private final class LedgerApplicationAdapter implements Application {

        @Override
        public List<byte[]> execute(OrderedBatch batch) {
            long start = System.nanoTime();
            List<byte[]> results = ledger.execute(batch);
            double micros = (System.nanoTime() - start) / 1e3;
            executeMicros = executeMicros == 0 ? micros : executeMicros * 0.9 + micros * 0.1;
            wake();
            return results;
        }

        @Override
        public long lastExecuted() {
            return ledger.lastExecuted();
        }


        @Override
        public byte[] snapshot() {
            return ledger.snapshot();
        }

        @Override
        public void restore(byte[] snapshot, long sequence) {
            LedgerApplication.CatchUp c = ledger.planCatchUp(snapshot);
            if (c != null) {
                long started = System.nanoTime();
                long logged = started;
                while (!ledger.catchUpStep(c)) {
                    long now = System.nanoTime();
                    if (now - logged > 10_000_000_000L) {
                        logged = now;
                        long height = ledger.head().header().height();
                        long done = c.blocks() - (c.target() - height);
                        LOG.info(() -> "catching up: height " + height + " of " + c.target() + " (" + done + " of "
                                + c.blocks() + " blocks, " + done * 1_000_000_000L / (now - started) + " blocks/s)");
                    }
                    wake();
                }
                LOG.info(() -> "caught up to height " + c.target() + ": " + c.blocks() + " blocks in "
                        + (System.nanoTime() - started) / 1_000_000 + " ms");
            }
            ledger.restore(snapshot, sequence);
            wake();
        }

        private void wake() {
            Block head = ledger.head();
            long h = head.header().height();
            recentHashes.put(h, head.header().hash().hex());
            recentHashes.remove(h - RECENT_HASHES);
            synchronized (executed) {
                height = h;
                executed.notifyAll();
            }
        }
    }
}

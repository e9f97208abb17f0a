package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.ConsensusLog;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.ehrledger.consensus.log.InMemoryConsensusLog;
import org.ehrledger.consensus.message.RequestKey;

/**
 * n replicas and some clients wired through one {@link SimulatedNetwork}, with the operations a
 * scenario needs (crash, restart from the durable log, partition, heal, Byzantine interceptors) and
 * the checks a scenario asserts: which batch each replica executed at each sequence number, whether
 * any request executed twice, and each replica's state digest.
 */
public final class SimCluster {

    private final SimulatedNetwork network;
    private final ClusterConfig config;
    private final ReplicaSettings settings;
    private final NodeKeys[] replicaKeys;
    private final Map<Integer, PublicKeys> clientKeys = new ConcurrentHashMap<>();
    private final Map<Integer, NodeKeys> clientPrivate = new HashMap<>();
    private final Replica[] replicas;
    private final Application[] apps;
    private final java.util.function.IntFunction<Application> appFactory;
    private final java.util.function.IntFunction<ConsensusLog> logFactory;
    private final ConsensusLog[] logs;
    private final boolean[] crashed;
    private final List<PbftClient> clients = new ArrayList<>();
    private final int resultSize;
    /** Per replica: sequence number to executed batch digest. */
    private final List<Map<Long, Digest>> executed = new ArrayList<>();
    /** Per replica: requests executed (a replay would show up as a second entry). */
    private final List<Set<RequestKey>> executedRequests = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    /** Replicas declared Byzantine: what they execute is not held to agreement. */
    private final Set<Integer> faulty = new HashSet<>();
    /** The order correct replicas agreed on: sequence to the batch as executed. */
    private final java.util.TreeMap<Long, OrderedBatch> agreedOrder = new java.util.TreeMap<>();
    /** Every operation submitted through {@link #submit(int, byte[])}, for the client-side check. */
    private final List<Submitted> submitted = new ArrayList<>();
    private final List<Replica> twins = new ArrayList<>();

    /** Virtual network ids of twins start here (below client ids, above any replica id). */
    public static final int TWIN_BASE = 900;

    private record Submitted(int clientId, byte[] payload, CompletableFuture<byte[]> result) {
    }
    private final Map<Integer, NodeCrypto> cryptoCache = new HashMap<>();

    /** Builds a cluster of {@code n} replicas and {@code clientCount} clients. */
    public SimCluster(int n, int clientCount, long seed, ReplicaSettings settings, int resultSize) {
        this(n, clientCount, seed, settings, resultSize, null);
    }

    /**
     * Builds a cluster whose replicas open their write-ahead log through {@code logFactory} at every
     * boot (a restart reopens it, as a process would); null keeps in-memory logs.
     */
    public SimCluster(int n, int clientCount, long seed, ReplicaSettings settings, int resultSize,
                      java.util.function.IntFunction<ConsensusLog> logFactory) {
        this(n, clientCount, seed, settings, resultSize, logFactory, unbundledClients());
    }

    /** Client settings for simulation: one operation per request, many requests in flight. */
    public static ClientSettings unbundledClients() {
        return simulationClients().maxInFlightRequests(1_000).maxBundleOperations(1).build();
    }

    /** Client settings for simulation with bundling of waiting operations into one signed request. */
    public static ClientSettings bundledClients() {
        return simulationClients().maxInFlightRequests(2).maxBundleOperations(16).build();
    }

    private static ClientSettings.Builder simulationClients() {
        return ClientSettings.builder().retransmitMillis(300).maxRetransmitMillis(2_000).requestTimeoutMillis(120_000)
                .maxOutstanding(4_096).maxBundleBytes(1 << 20);
    }

    /** Builds a cluster with explicit client settings (e.g. {@link #bundledClients()}). */
    public SimCluster(int n, int clientCount, long seed, ReplicaSettings settings, int resultSize,
                      java.util.function.IntFunction<ConsensusLog> logFactory, ClientSettings clientSettings) {
        this(n, clientCount, seed, settings, resultSize, logFactory, clientSettings, null);
    }

    /**
     * Builds a cluster running the application made by {@code appFactory} on each replica (at every
     * boot: a restart loses in-memory state); null runs {@link HashChainApplication}.
     */
    public SimCluster(int n, int clientCount, long seed, ReplicaSettings settings, int resultSize,
                      java.util.function.IntFunction<ConsensusLog> logFactory, ClientSettings clientSettings,
                      java.util.function.IntFunction<Application> appFactory) {
        this(n, clientCount, seed, settings, resultSize, logFactory, clientSettings, appFactory, null);
    }

    /**
     * A cluster of {@code n} replicas (simulation settings, in-memory logs) whose genesis bounds a request, a
     * batch and a view's batch bytes as given ({@link ClusterConfig#maxViewBytes()}).
     */
    public static SimCluster withLimits(int n, int clientCount, long seed, int maxRequestBytes, int maxBatchBytes,
                                        int maxViewBytes) {
        return new SimCluster(n, clientCount, seed, simulationSettings(), 32, null, unbundledClients(), null,
                new int[] {maxRequestBytes, maxBatchBytes, maxViewBytes});
    }

    private SimCluster(int n, int clientCount, long seed, ReplicaSettings settings, int resultSize,
                       java.util.function.IntFunction<ConsensusLog> logFactory, ClientSettings clientSettings,
                       java.util.function.IntFunction<Application> appFactory, int[] limits) {
        this.network = new SimulatedNetwork(seed);
        this.settings = settings;
        this.resultSize = resultSize;
        this.replicaKeys = new NodeKeys[n];
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replicaKeys[i] = KeyPairs.deterministic(seed * 100 + i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7800 + i, replicaKeys[i].publicKeys()));
        }
        this.config = limits == null ? new ClusterConfig(infos, 8, 32)
                : new ClusterConfig(infos, 8, 32, limits[0], limits[1], limits[2]);
        this.replicas = new Replica[n];
        this.apps = new Application[n];
        this.appFactory = appFactory;
        this.logs = new ConsensusLog[n];
        this.logFactory = logFactory;
        this.crashed = new boolean[n];
        for (int i = 0; i < n; i++) {
            logs[i] = logFactory == null ? new InMemoryConsensusLog() : null;
            executed.add(new HashMap<>());
            executedRequests.add(new HashSet<>());
            boot(i);
        }
        for (int c = 0; c < clientCount; c++) {
            int id = ClusterConfig.FIRST_CLIENT_ID + c;
            NodeKeys keys = KeyPairs.deterministic(seed * 100 + 50 + c);
            clientPrivate.put(id, keys);
            clientKeys.put(id, keys.publicKeys());
            PbftClient client = new PbftClient(config, id, keys, network.transport(id),
                    clientSettings, network::now);
            clients.add(client);
            network.attach(id, new SimulatedNetwork.Node() {
                @Override
                public void deliver(byte[] frame, long now) {
                    client.receive(frame);
                }

                @Override
                public void tick(long now) {
                    client.tick(now);
                }
            });
        }
    }

    /** A cluster with settings suited to simulation (small batches, short timeouts). */
    public static SimCluster of(int n, int clients, long seed) {
        return new SimCluster(n, clients, seed, simulationSettings(), 32);
    }

    /** Replica settings for simulated time: short timers so scenarios finish quickly. */
    public static ReplicaSettings simulationSettings() {
        return ReplicaSettings.builder().maxBatchRequests(16).maxBatchBytes(1 << 20).batchDelayMillis(2)
                .maxInFlightBatches(4).viewChangeTimeoutMillis(400).maxViewChangeTimeoutMillis(10_000)
                .stateTransferRetryMillis(100).maxClockSkewMillis(120_000).maxPendingRequests(10_000)
                .maxPendingBytes(64L << 20).replyCacheSize(64).build();
    }

    private void boot(int i) {
        if (logFactory != null) {
            logs[i] = logFactory.apply(i);
        }
        Application inner = appFactory == null ? new HashChainApplication(resultSize, null) : appFactory.apply(i);
        apps[i] = inner;
        Application app = new ForwardingApplication(inner) {
            @Override
            public List<byte[]> execute(OrderedBatch batch) {
                List<byte[]> results = inner.execute(batch);
                observe(i, batch);
                return results;
            }
        };
        Replica replica = new Replica(config, settings, i, replicaKeys[i], clientKeys::get, app, logs[i],
                network.transport(i));
        replicas[i] = replica;
        crashed[i] = false;
        attach(i, replica);
        replica.start(network.now());
    }

    /** Attaches a replica to the network under a node id. */
    private void attach(int networkId, Replica replica) {
        network.attach(networkId, new SimulatedNetwork.Node() {
            @Override
            public void deliver(byte[] frame, long now) {
                replica.receive(frame, now);
            }

            @Override
            public void tick(long now) {
                replica.tick(now);
            }
        });
    }

    private void observe(int replica, OrderedBatch batch) {
        Digest previous = executed.get(replica).put(batch.sequence(), batch.digest());
        if (faulty.contains(replica)) {
            return;
        }
        agreedOrder.putIfAbsent(batch.sequence(), batch);
        if (previous != null && !previous.equals(batch.digest())) {
            violations.add("replica " + replica + " re-executed sequence " + batch.sequence() + " differently");
        }
        for (int other = 0; other < replicas.length; other++) {
            Digest d = executed.get(other).get(batch.sequence());
            if (other != replica && !faulty.contains(other) && d != null && !d.equals(batch.digest())) {
                violations.add("replicas " + other + " and " + replica + " executed different batches at sequence "
                        + batch.sequence());
            }
        }
        batch.fresh().forEach(r -> {
            RequestKey key = new RequestKey(r.clientId(), r.timestamp());
            if (!executedRequests.get(replica).add(key)) {
                violations.add("replica " + replica + " executed request " + key + " twice");
            }
        });
    }

    /** Crashes a replica: it stops, and whatever it had not flushed to its log is lost. */
    public void crash(int i) {
        network.detach(i);
        if (logs[i] instanceof InMemoryConsensusLog mem) {
            mem.crash();
        }
        // A file log is simply abandoned: its unflushed buffer dies with the "process".
        crashed[i] = true;
    }

    /**
     * Restarts a crashed replica from its durable log with an empty application (the in-memory state
     * is gone), as a process restart would.
     */
    public void restart(int i) {
        executedRequests.set(i, new HashSet<>());
        boot(i);
    }

    /** The simulated network. */
    public SimulatedNetwork network() {
        return network;
    }

    /** The genesis configuration. */
    public ClusterConfig config() {
        return config;
    }

    /** A replica. */
    public Replica replica(int i) {
        return replicas[i];
    }

    /** A replica's application, when it is the default {@link HashChainApplication}. */
    public HashChainApplication app(int i) {
        return (HashChainApplication) apps[i];
    }

    /** A replica's application, whatever it is. */
    public Application application(int i) {
        return apps[i];
    }

    /** A replica's write-ahead log. */
    public ConsensusLog log(int i) {
        return logs[i];
    }

    /** A client by index. */
    public PbftClient client(int c) {
        return clients.get(c);
    }

    /** The link crypto of a node, as a Byzantine node would use its own keys to forge traffic. */
    public NodeCrypto cryptoOf(int node) {
        return cryptoCache.computeIfAbsent(node, id -> {
            KeyDirectory dir = new KeyDirectory(config, clientKeys::get);
            NodeKeys keys = config.isReplica(id) ? replicaKeys[id] : clientPrivate.get(id);
            return dir.crypto(id, keys);
        });
    }

    /** Submits an operation from client {@code c}; its result is later checked by {@link #linearizabilityViolations()}. */
    public CompletableFuture<byte[]> submit(int c, byte[] op) {
        CompletableFuture<byte[]> f = clients.get(c).submit(op);
        submitted.add(new Submitted(clients.get(c).id(), op.clone(), f));
        return f;
    }

    /** Declares a replica Byzantine: its own execution is no longer held to agreement. */
    public void markFaulty(int replica) {
        faulty.add(replica);
    }

    /** The replicas declared Byzantine. */
    public Set<Integer> faulty() {
        return Set.copyOf(faulty);
    }

    /**
     * Starts a twin of replica {@code i} (Twins, Bano et al.): a second instance with the same keys, an
     * empty state and its own log, reached under {@link #TWIN_BASE}{@code + i}. The pair counts as one
     * Byzantine replica; place the instances in different partitions to make them equivocate.
     *
     * @return the twin's network id
     */
    public int twin(int i) {
        int virtual = TWIN_BASE + i;
        markFaulty(i);
        Replica twin = new Replica(config, settings, i, replicaKeys[i], clientKeys::get,
                new HashChainApplication(resultSize, null), new InMemoryConsensusLog(), network.transport(virtual));
        twins.add(twin);
        network.twin(i, virtual);
        attach(virtual, twin);
        twin.start(network.now());
        return virtual;
    }

    /**
     * The client-side check: replays the agreed order on a fresh application, one operation after
     * another, and compares every result a client accepted with the result of that sequential
     * execution (linearizability of the replicated state machine). Returns the violations found.
     */
    public List<String> linearizabilityViolations() {
        List<String> out = new ArrayList<>();
        HashChainApplication reference = new HashChainApplication(resultSize, null);
        Map<String, byte[]> expected = new HashMap<>();
        long next = 1;
        for (OrderedBatch b : agreedOrder.values()) {
            if (b.sequence() != next) {
                break; // no correct replica executed this one itself (all installed a later checkpoint)
            }
            List<byte[]> results = reference.execute(b);
            var ops = b.operations();
            for (int k = 0; k < ops.size(); k++) {
                expected.putIfAbsent(ops.get(k).clientId() + "/" + java.util.HexFormat.of().formatHex(ops.get(k).payload()),
                        results.get(k));
            }
            next++;
        }
        long checkedUpTo = next - 1;
        for (Submitted sub : submitted) {
            if (!sub.result().isDone() || sub.result().isCompletedExceptionally()) {
                continue;
            }
            byte[] accepted = sub.result().join();
            byte[] want = expected.get(sub.clientId() + "/" + java.util.HexFormat.of().formatHex(sub.payload()));
            String what = "client " + sub.clientId() + " operation '" + new String(sub.payload(),
                    java.nio.charset.StandardCharsets.UTF_8) + "'";
            if (want == null) {
                if (checkedUpTo == agreedOrder.size()) {
                    out.add(what + " got a result but is not in the agreed order (checked up to " + checkedUpTo + ")");
                }
            } else if (!java.util.Arrays.equals(want, accepted)) {
                out.add(what + " accepted a result that differs from the sequential execution of the agreed order");
            }
        }
        return out;
    }

    /** Status of every replica. */
    public List<ReplicaStatus> statuses() {
        List<ReplicaStatus> out = new ArrayList<>();
        for (Replica r : replicas) {
            out.add(r.status());
        }
        return out;
    }

    /** Whether replica i is crashed. */
    public boolean isCrashed(int i) {
        return crashed[i];
    }

    /** Safety violations seen so far (empty when the protocol is safe). */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** The digest of the batch replica i executed at a sequence number, or null. */
    public Digest executedAt(int replica, long sequence) {
        return executed.get(replica).get(sequence);
    }

    /** Whether every listed replica has executed at least up to the same sequence and holds the same chain. */
    public boolean converged(int... ids) {
        long seq = replicas[ids[0]].status().lastExecuted();
        byte[] state = apps[ids[0]].snapshot();
        for (int id : ids) {
            if (replicas[id].status().lastExecuted() != seq || !java.util.Arrays.equals(apps[id].snapshot(), state)) {
                return false;
            }
        }
        return true;
    }

    /** Runs until every future completed or the time is up; returns whether all completed. */
    public boolean awaitAll(List<CompletableFuture<byte[]>> futures, long maxMillis) {
        return network.runUntil(() -> futures.stream().allMatch(CompletableFuture::isDone), maxMillis);
    }
}

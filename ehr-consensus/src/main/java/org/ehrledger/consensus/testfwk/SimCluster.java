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
import org.ehrledger.consensus.client.ClientSettings;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.config.ReplicaInfo;
import org.ehrledger.consensus.config.ReplicaSettings;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.core.ReplicaStatus;
import org.ehrledger.consensus.crypto.Digest;
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
        return new ClientSettings(300, 2_000, 120_000, 4_096, 1_000, 1, 1 << 20);
    }

    /** Client settings for simulation with bundling of waiting operations into one signed request. */
    public static ClientSettings bundledClients() {
        return new ClientSettings(300, 2_000, 120_000, 4_096, 2, 16, 1 << 20);
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
        this.network = new SimulatedNetwork(seed);
        this.settings = settings;
        this.resultSize = resultSize;
        this.replicaKeys = new NodeKeys[n];
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replicaKeys[i] = KeyPairs.deterministic(seed * 100 + i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7800 + i, replicaKeys[i].publicKeys()));
        }
        this.config = new ClusterConfig(infos, 8, 32);
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
        return new ReplicaSettings(16, 1 << 20, 2, 4, 400, 10_000, 100, 120_000, 10_000, 64L << 20, 64);
    }

    private void boot(int i) {
        if (logFactory != null) {
            logs[i] = logFactory.apply(i);
        }
        Application inner = appFactory == null ? new HashChainApplication(resultSize, null) : appFactory.apply(i);
        apps[i] = inner;
        Application app = new Application() {
            @Override
            public List<byte[]> execute(OrderedBatch batch) {
                List<byte[]> results = inner.execute(batch);
                observe(i, batch);
                return results;
            }

            @Override
            public long lastExecuted() {
                return inner.lastExecuted();
            }

            @Override
            public byte[] snapshot() {
                return inner.snapshot();
            }

            @Override
            public void restore(byte[] snapshot, long sequence) {
                inner.restore(snapshot, sequence);
            }

            @Override
            public long clientRevokedAt(int clientId) {
                return inner.clientRevokedAt(clientId);
            }
        };
        Replica replica = new Replica(config, settings, i, replicaKeys[i], clientKeys::get, app, logs[i],
                network.transport(i));
        replicas[i] = replica;
        crashed[i] = false;
        network.attach(i, new SimulatedNetwork.Node() {
            @Override
            public void deliver(byte[] frame, long now) {
                replica.receive(frame, now);
            }

            @Override
            public void tick(long now) {
                replica.tick(now);
            }
        });
        replica.start(network.now());
    }

    private void observe(int replica, OrderedBatch batch) {
        Digest previous = executed.get(replica).put(batch.sequence(), batch.digest());
        if (previous != null && !previous.equals(batch.digest())) {
            violations.add("replica " + replica + " re-executed sequence " + batch.sequence() + " differently");
        }
        for (int other = 0; other < replicas.length; other++) {
            Digest d = executed.get(other).get(batch.sequence());
            if (other != replica && d != null && !d.equals(batch.digest())) {
                violations.add("replicas " + other + " and " + replica + " executed different batches at sequence "
                        + batch.sequence());
            }
        }
        batch.fresh().forEach(r -> {
            if (!executedRequests.get(replica).add(r.key())) {
                violations.add("replica " + replica + " executed request " + r.key() + " twice");
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

    /** Submits an operation from client {@code c}. */
    public CompletableFuture<byte[]> submit(int c, byte[] op) {
        return clients.get(c).submit(op);
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

package org.ehrledger.consensus.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.ClientOverloadedException;
import org.ehrledger.consensus.api.ConsensusTimeoutException;
import org.ehrledger.consensus.api.LinkStatus;
import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.core.ReplicaRunner;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.log.FileConsensusLog;
import org.ehrledger.consensus.transport.JGroupsTransport;

/**
 * One replica of a network as a host runs it: the PBFT replica over JGroups with a durable write-ahead
 * log, driven on a thread of its own, and optionally the host's own PBFT client (id
 * {@code FIRST_CLIENT_ID + replicaId}) through which it submits operations. Built from a
 * {@link GenesisDirectory} with {@link #builder(GenesisDirectory, int)}; the defaults come from the
 * genesis file (this replica's address, the other replicas as initial hosts).
 */
public final class ConsensusNode implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsensusNode.class.getName());
    private static final long CLIENT_TICK_MILLIS = 20;

    private final ClusterConfig genesis;
    private final Replica replica;
    private final JGroupsTransport replicaTransport;
    private final ReplicaRunner runner;
    private JGroupsTransport clientTransport;
    private PbftClient client;
    private ScheduledExecutorService ticker;

    private ConsensusNode(ClusterConfig genesis, Replica replica, JGroupsTransport replicaTransport, ReplicaRunner runner) {
        this.genesis = genesis;
        this.replica = replica;
        this.replicaTransport = replicaTransport;
        this.runner = runner;
    }

    /** A builder for replica {@code replicaId} of the network whose genesis is in {@code genesis}. */
    public static Builder builder(GenesisDirectory genesis, int replicaId) {
        return new Builder(genesis, replicaId);
    }

    /** The genesis configuration. */
    public ClusterConfig genesis() {
        return genesis;
    }

    /** This replica's id. */
    public int id() {
        return replica.id();
    }

    /** The replica's latest status; safe to call from any thread. */
    public ReplicaStatus status() {
        return replica.status();
    }

    /** Whether the replica stopped after an error (fail-stop); a restart recovers it from its log. */
    public boolean failed() {
        return replica.failed();
    }

    /** This replica and the nodes (replicas and clients) its links currently reach. */
    public Set<Integer> reachable() {
        return replicaTransport.reachable();
    }

    /** What the replica's links turned away since it started (hellos, frames, TLS peers). */
    public LinkStatus links() {
        return replicaTransport.links();
    }

    /** Inbound frames dropped because the replica's queue was full. */
    public long overflow() {
        return runner.overflow();
    }

    /**
     * Submits operations that are ordered together and completes with one result per operation once f+1
     * replicas agree on them; fails with {@link ConsensusTimeoutException} or {@link ClientOverloadedException}.
     *
     * @throws IllegalStateException when the node was built without a client
     */
    public CompletableFuture<List<byte[]>> submitGroup(List<byte[]> operations) {
        if (client == null) {
            throw new IllegalStateException("this node was built without a client");
        }
        return client.submitGroup(operations);
    }

    /** Stops the client, the replica thread and the links. */
    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (clientTransport != null) {
            clientTransport.close();
        }
        runner.close();
    }

    private void startClient(GenesisDirectory dir, Builder b, String bind, int port, String initialHosts,
                             ThreadFactory threads) throws Exception {
        int clientId = ClusterConfig.FIRST_CLIENT_ID + replica.id();
        NodeKeys clientKeys = dir.clientKeys(clientId);
        clientTransport = b.transport(clientId, clientKeys, bind, b.clientPort != null ? b.clientPort : port + 100,
                initialHosts).build();
        client = new PbftClient(genesis, clientId, clientKeys, clientTransport, b.clientSettings, System::currentTimeMillis);
        clientTransport.setReceiver(client::receive);
        clientTransport.start();
        ticker = Executors.newSingleThreadScheduledExecutor(threads);
        ticker.scheduleWithFixedDelay(this::tickClient, CLIENT_TICK_MILLIS, CLIENT_TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tickClient() {
        try {
            client.tick(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "client tick failed", e);
        }
    }

    /** Collects how one replica runs; {@link #start()} builds and starts it. */
    public static final class Builder {

        private final GenesisDirectory dir;
        private final int replicaId;
        private Application application;
        private Path dataDir;
        private ReplicaSettings settings = ReplicaSettings.defaults();
        private ClientSettings clientSettings;
        private String clusterName = "ehr-ledger";
        private String bindAddress;
        private Integer port;
        private Integer clientPort;
        private String initialHosts;
        private Path stackFile;
        private boolean tls = true;
        private String advertiseHost;
        private int advertisePort;
        private ThreadFactory threads;
        private int inboundQueue = 20_000;
        private ClusterConfig genesis;
        private ClientDirectory clients;

        private Builder(GenesisDirectory dir, int replicaId) {
            this.dir = Objects.requireNonNull(dir, "genesis directory");
            this.replicaId = replicaId;
        }

        /** The replicated application (required). */
        public Builder application(Application application) {
            this.application = application;
            return this;
        }

        /** Where the write-ahead log {@code replica-<id>.wal} is kept (required). */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** The replica's local tunables (default {@link ReplicaSettings#defaults()}). */
        public Builder settings(ReplicaSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Also runs the host's PBFT client, with these tunables (without it, {@link #submitGroup} is refused). */
        public Builder client(ClientSettings clientSettings) {
            this.clientSettings = Objects.requireNonNull(clientSettings, "client settings");
            return this;
        }

        /** The JGroups cluster name (default {@code ehr-ledger}). */
        public Builder clusterName(String clusterName) {
            this.clusterName = clusterName;
            return this;
        }

        /** Listen address; null keeps this replica's address in the genesis file. */
        public Builder bindAddress(String bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** Listen port; null keeps this replica's port in the genesis file. */
        public Builder port(Integer port) {
            this.port = port;
            return this;
        }

        /** Port of the client's channel; null means the replica's port + 100. */
        public Builder clientPort(Integer clientPort) {
            this.clientPort = clientPort;
            return this;
        }

        /** TCPPING initial hosts, {@code host[port],...}; null means the replicas of the genesis file. */
        public Builder initialHosts(String initialHosts) {
            this.initialHosts = initialHosts;
            return this;
        }

        /** A JGroups stack XML with the {@code bind_addr}, {@code bind_port} and {@code initial_hosts} placeholders; null for the built-in stack. */
        public Builder stackFile(Path stackFile) {
            this.stackFile = stackFile;
            return this;
        }

        /** Whether the links use TLS 1.3 with the genesis keys (default true). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** The address the other replicas reach this replica at, when it is not the bind address. */
        public Builder advertise(String host, int port) {
            this.advertiseHost = host;
            this.advertisePort = port;
            return this;
        }

        /** Makes the replica and client threads (e.g. an application server's managed thread factory). */
        public Builder threads(ThreadFactory threads) {
            this.threads = threads;
            return this;
        }

        /** Bound of the replica's inbound queue (default 20 000 frames). */
        public Builder inboundQueue(int frames) {
            this.inboundQueue = frames;
            return this;
        }

        /**
         * Reads the genesis directory, then builds and starts the replica (it recovers from its log first)
         * and, if asked for, the client.
         *
         * @throws IOException              a genesis file or private key file is missing or unreadable
         * @throws IllegalArgumentException the replica id is not in the genesis, or its keys do not match it
         */
        public ConsensusNode start() throws Exception {
            Objects.requireNonNull(application, "application");
            Objects.requireNonNull(dataDir, "data directory");
            genesis = dir.genesis();
            if (!genesis.isReplica(replicaId)) {
                throw new IllegalArgumentException("replica id " + replicaId + " is not a replica of the genesis file "
                        + dir.genesisFile());
            }
            clients = dir.clients();
            NodeKeys keys = dir.replicaKeys(replicaId);
            ReplicaInfo me = genesis.replicas().get(replicaId);
            String bind = bindAddress != null ? bindAddress : me.host();
            int listen = port != null ? port : me.port();
            String hosts = initialHosts != null ? initialHosts : JGroupsTransport.initialHosts(genesis);
            JGroupsTransport.Builder link = transport(replicaId, keys, bind, listen, hosts);
            if (advertiseHost != null) {
                link.advertise(advertiseHost, advertisePort);
            }
            JGroupsTransport transport = link.build();
            Replica replica = new Replica(genesis, settings, replicaId, keys, clients, application,
                    new FileConsensusLog(dataDir.resolve("replica-" + replicaId + ".wal"), true), transport);
            ReplicaRunner runner = threads == null ? new ReplicaRunner(replica, transport, inboundQueue)
                    : new ReplicaRunner(replica, transport, inboundQueue, threads);
            ConsensusNode node = new ConsensusNode(genesis, replica, transport, runner);
            try {
                runner.start();
                if (clientSettings != null) {
                    node.startClient(dir, this, bind, listen, hosts, threads != null ? threads : Executors.defaultThreadFactory());
                }
            } catch (Exception | Error e) {
                node.close(); // nothing half-started is left behind
                throw e;
            }
            return node;
        }

        private JGroupsTransport.Builder transport(int id, NodeKeys keys, String bind, int listen, String hosts) {
            return JGroupsTransport.builder().id(id).keys(keys).genesis(genesis).clients(clients)
                    .clusterName(clusterName).bind(bind, listen).initialHosts(hosts).stackFile(stackFile).tls(tls);
        }
    }
}

package org.ehrledger.ejb.infrastructure.consensus;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;

/**
 * This replica's configuration, from MicroProfile Config (system properties, environment variables
 * such as {@code EHR_REPLICA_ID}, or {@code META-INF/microprofile-config.properties}). The defaults
 * suit one machine; {@code server-config/replica-N.properties} holds those of the local network.
 */
@ApplicationScoped
public class ReplicaConfig {

    @Inject
    @ConfigProperty(name = "ehr.replica.id", defaultValue = "0")
    int replicaId;

    /** Where the replica keeps its consensus log and organisation keys; defaults to Derby's home. */
    @Inject
    @ConfigProperty(name = "ehr.data.dir")
    Optional<String> dataDir;

    /** Directory with genesis.properties, clients.properties and this replica's private key files. */
    @Inject
    @ConfigProperty(name = "ehr.genesis.dir")
    Optional<String> genesisDir;

    @Inject
    @ConfigProperty(name = "ehr.jgroups.cluster", defaultValue = "ehr-ledger")
    String clusterName;

    /** Listen address; defaults to this replica's address in the genesis file. */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.bind-address")
    Optional<String> bindAddress;

    /** Listen port; defaults to this replica's port in the genesis file. */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.port")
    Optional<Integer> port;

    /** Port of this replica's client channel (the gateway's PBFT client); defaults to port + 100. */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.client-port")
    Optional<Integer> clientPort;

    /** TCPPING initial hosts, {@code host[port],...}; defaults to the replicas of the genesis file. */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.initial-hosts")
    Optional<String> initialHosts;

    /** A JGroups stack XML with the ${bind_addr}, ${bind_port} and ${initial_hosts} placeholders. */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.stack")
    Optional<String> stackFile;

    /**
     * Whether the JGroups links (replica and gateway client channels) use TLS with the genesis keys. On by
     * default; turn it off only where the links are otherwise encrypted (the replicas cross networks nobody
     * here controls).
     */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.tls", defaultValue = "true")
    boolean tls;

    /**
     * The address the other replicas reach this replica's JGroups port at, {@code host:port}, when it is not the
     * bind address (port forwarding, NAT, a proxy): what this replica advertises, normally its genesis address.
     */
    @Inject
    @ConfigProperty(name = "ehr.jgroups.advertise")
    Optional<String> advertise;

    /** Port of this replica's block sync listener (mutual TLS); defaults to its genesis JGroups port + 200. */
    @Inject
    @ConfigProperty(name = "ehr.sync.port")
    Optional<Integer> syncPort;

    /** Listen address of the block sync listener; defaults to the JGroups bind address. */
    @Inject
    @ConfigProperty(name = "ehr.sync.bind-address")
    Optional<String> syncBindAddress;

    /**
     * Block sync addresses of all replicas in replica id order, {@code host:port,...}; defaults to each replica's
     * genesis host and genesis JGroups port + 200.
     */
    @Inject
    @ConfigProperty(name = "ehr.sync.peers")
    Optional<String> syncPeers;

    /** Base URLs of all replicas' HTTP listeners in replica id order, comma-separated (the portal's network page). */
    @Inject
    @ConfigProperty(name = "ehr.peer.urls")
    Optional<String> peerUrls;

    @Inject
    @ConfigProperty(name = "ehr.organisation.id")
    Optional<String> organisationId;

    @Inject
    @ConfigProperty(name = "ehr.organisation.name")
    Optional<String> organisationName;

    /** How long a submitter waits for its transaction to commit. */
    @Inject
    @ConfigProperty(name = "ehr.submit.timeout-ms", defaultValue = "30000")
    long submitTimeoutMillis;

    /** Transactions in flight at once through this replica; beyond it submitters wait briefly, then get "busy". */
    @Inject
    @ConfigProperty(name = "ehr.submit.max-in-flight", defaultValue = "2048")
    int maxInFlight;

    /** Longest wait for a place among the in-flight transactions before answering "busy". */
    @Inject
    @ConfigProperty(name = "ehr.submit.queue-wait-ms", defaultValue = "2000")
    long queueWaitMillis;

    /** How long a backup waits for a request it knows to execute before it suspects the primary. */
    @Inject
    @ConfigProperty(name = "ehr.pbft.view-change-timeout-ms", defaultValue = "5000")
    long viewChangeTimeoutMillis;

    /** How long the gateway's client waits for replies before re-sending a request to every replica. */
    @Inject
    @ConfigProperty(name = "ehr.pbft.client-retransmit-ms", defaultValue = "2000")
    long clientRetransmitMillis;

    /**
     * Batches the primary keeps in flight (proposed, not yet executed). Every block costs a database commit
     * on every replica, so fewer, larger batches carry more transactions per second.
     */
    @Inject
    @ConfigProperty(name = "ehr.pbft.pipeline", defaultValue = "2")
    int pipeline;

    /** How long the primary waits to fill a batch. */
    @Inject
    @ConfigProperty(name = "ehr.pbft.batch-delay-ms", defaultValue = "5")
    long batchDelayMillis;

    /** Signed requests the gateway's client keeps in flight; operations submitted meanwhile are bundled. */
    @Inject
    @ConfigProperty(name = "ehr.pbft.client-in-flight", defaultValue = "4")
    int clientInFlight;

    public int pipeline() {
        return pipeline;
    }

    public long batchDelayMillis() {
        return batchDelayMillis;
    }

    public int clientInFlight() {
        return clientInFlight;
    }

    public long viewChangeTimeoutMillis() {
        return viewChangeTimeoutMillis;
    }

    public long clientRetransmitMillis() {
        return clientRetransmitMillis;
    }

    public int replicaId() {
        return replicaId;
    }

    /** The data directory (created on first use). */
    public Path dataDir() {
        String derbyHome = System.getProperty("derby.system.home");
        return Path.of(dataDir.orElse(derbyHome != null ? derbyHome : "ehr-data")).toAbsolutePath();
    }

    public Path genesisDir() {
        return genesisDir.map(Path::of).orElse(dataDir().resolve("genesis")).toAbsolutePath();
    }

    public String clusterName() {
        return clusterName;
    }

    public Optional<String> bindAddress() {
        return bindAddress;
    }

    public Optional<Integer> port() {
        return port;
    }

    public Optional<Integer> clientPort() {
        return clientPort;
    }

    public Optional<String> initialHosts() {
        return initialHosts;
    }

    public boolean tls() {
        return tls;
    }

    public Optional<Path> stackFile() {
        return stackFile.map(Path::of);
    }

    /** The advertised JGroups address, if configured. */
    public Optional<InetSocketAddress> advertise() {
        return advertise.map(a -> address(a, "ehr.jgroups.advertise"));
    }

    /** Where this replica's block sync listener listens. */
    public InetSocketAddress syncBind(ClusterConfig genesis) {
        ReplicaInfo me = genesis.replicas().get(replicaId);
        return new InetSocketAddress(syncBindAddress.orElse(bindAddress.orElse(me.host())),
                syncPort.orElse(me.port() + BlockSync.PORT_OFFSET));
    }

    /** The block sync addresses of all replicas by id. */
    public List<InetSocketAddress> syncPeers(ClusterConfig genesis) {
        if (syncPeers.isPresent()) {
            List<InetSocketAddress> list = Arrays.stream(syncPeers.get().split(",")).map(String::strip)
                    .map(a -> address(a, "ehr.sync.peers")).toList();
            if (list.size() != genesis.n()) {
                throw new IllegalArgumentException("ehr.sync.peers lists " + list.size() + " addresses for "
                        + genesis.n() + " replicas");
            }
            return list;
        }
        return genesis.replicas().stream()
                .map(r -> new InetSocketAddress(r.host(), r.port() + BlockSync.PORT_OFFSET)).toList();
    }

    private static InetSocketAddress address(String hostPort, String key) {
        int colon = hostPort.lastIndexOf(':');
        try {
            return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": '" + hostPort + "' is not host:port");
        }
    }

    /** The API roots of all replicas by id, if configured. */
    public Optional<java.util.List<String>> peerApiRoots() {
        return peerUrls.map(v -> java.util.Arrays.stream(v.split(",")).map(String::strip)
                .map(u -> (u.endsWith("/") ? u.substring(0, u.length() - 1) : u) + "/api/v1").toList());
    }

    public String organisationId() {
        return organisationId.orElse("org-" + (replicaId + 1));
    }

    public String organisationName() {
        return organisationName.orElse("Organisation " + (replicaId + 1));
    }

    public long submitTimeoutMillis() {
        return submitTimeoutMillis;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    public long queueWaitMillis() {
        return queueWaitMillis;
    }
}

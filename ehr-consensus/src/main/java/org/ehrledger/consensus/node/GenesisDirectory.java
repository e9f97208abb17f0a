package org.ehrledger.consensus.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.PeerTls;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.transport.LinkTls;

/**
 * The layout of a network's genesis directory, defined here and nowhere else: {@code genesis.properties}
 * (public: replicas, their keys and addresses, K and L), {@code clients.properties} (public: admitted
 * client keys), and one private key file per replica ({@code replica-<id>.key}) and client
 * ({@code client-<id>.key}), readable by its owner only.
 */
public final class GenesisDirectory {

    private final Path dir;

    private GenesisDirectory(Path dir) {
        this.dir = dir;
    }

    /** The genesis directory at {@code dir} (which need not exist yet). */
    public static GenesisDirectory at(Path dir) {
        return new GenesisDirectory(dir);
    }

    /**
     * Creates a new network's genesis directory: fresh keys for {@code replicas} replicas on {@code host}
     * (ports {@code firstPort}, {@code firstPort + 1}, ...) and {@code clients} admitted clients with ids from
     * {@link ClusterConfig#FIRST_CLIENT_ID}.
     *
     * @param checkpointInterval K, sequence numbers between checkpoints
     * @param watermarkWindow    L, sequence numbers accepted above the low watermark
     */
    public static GenesisDirectory create(Path dir, int replicas, String host, int firstPort, int clients,
                                          int checkpointInterval, int watermarkWindow) throws IOException {
        GenesisDirectory g = new GenesisDirectory(dir);
        Files.createDirectories(dir);
        List<ReplicaInfo> infos = new ArrayList<>();
        List<NodeKeys> replicaKeys = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            NodeKeys keys = KeyPairs.generate();
            replicaKeys.add(keys);
            infos.add(new ReplicaInfo(i, host, firstPort + i, keys.publicKeys()));
        }
        ClusterConfig genesis = new ClusterConfig(infos, checkpointInterval, watermarkWindow); // checks before writing
        for (int i = 0; i < replicas; i++) {
            writePrivate(g.replicaKeyFile(i), replicaKeys.get(i));
        }
        genesis.store(g.genesisFile());
        StaticClientDirectory directory = new StaticClientDirectory();
        for (int c = 0; c < clients; c++) {
            int id = ClusterConfig.FIRST_CLIENT_ID + c;
            NodeKeys keys = KeyPairs.generate();
            writePrivate(g.clientKeyFile(id), keys);
            directory.admit(id, keys.publicKeys());
        }
        directory.store(g.clientsFile());
        return g;
    }

    /** The directory. */
    public Path path() {
        return dir;
    }

    /** The public genesis configuration file. */
    public Path genesisFile() {
        return dir.resolve("genesis.properties");
    }

    /** The public file of admitted client keys. */
    public Path clientsFile() {
        return dir.resolve("clients.properties");
    }

    /** The private key file of a replica. */
    public Path replicaKeyFile(int replicaId) {
        return dir.resolve("replica-" + replicaId + ".key");
    }

    /** The private key file of a client. */
    public Path clientKeyFile(int clientId) {
        return dir.resolve("client-" + clientId + ".key");
    }

    /** Whether the directory holds a genesis configuration. */
    public boolean exists() {
        return Files.isRegularFile(genesisFile());
    }

    /** Reads the genesis configuration. */
    public ClusterConfig genesis() throws IOException {
        return ClusterConfig.load(genesisFile());
    }

    /** Reads the admitted clients. */
    public ClientDirectory clients() throws IOException {
        return StaticClientDirectory.load(clientsFile());
    }

    /** Reads a replica's private keys. */
    public NodeKeys replicaKeys(int replicaId) throws IOException {
        return readPrivate(replicaKeyFile(replicaId));
    }

    /** Reads a client's private keys. */
    public NodeKeys clientKeys(int clientId) throws IOException {
        return readPrivate(clientKeyFile(clientId));
    }

    /**
     * Mutual TLS 1.3 for replica {@code replicaId}'s own connections to the other replicas (its private key
     * file, the genesis replica keys as the only trust), for a host that links its replicas beside consensus.
     *
     * @param handshakeTimeout longest time a handshake may take (1 ms to 60 s)
     */
    public PeerTls replicaTls(int replicaId, Duration handshakeTimeout) throws IOException {
        ClusterConfig genesis = genesis();
        return new LinkTls(replicaId, replicaKeys(replicaId), genesis::replicaKeys, handshakeTimeout);
    }

    private static NodeKeys readPrivate(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("private key file " + file + " is missing");
        }
        return NodeKeys.decode(Files.readString(file).trim());
    }

    private static void writePrivate(Path file, NodeKeys keys) throws IOException {
        Files.writeString(file, keys.encode() + "\n");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }
}

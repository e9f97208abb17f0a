package org.ehrledger.consensus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.config.ReplicaInfo;
import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;

/**
 * Creates a genesis directory: {@code genesis.properties} (public), {@code clients.properties}
 * (public), and one private key file per replica and client, readable by the owner only.
 *
 * <p>Usage: {@code GenesisTool <dir> <replicas> <host> <firstPort> <clients> [checkpointInterval] [watermarkWindow]}
 */
public final class GenesisTool {

    private GenesisTool() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: GenesisTool <dir> <replicas> <host> <firstPort> <clients> [K] [L]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        String host = args[2];
        int firstPort = Integer.parseInt(args[3]);
        int clients = Integer.parseInt(args[4]);
        int k = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        int l = args.length > 6 ? Integer.parseInt(args[6]) : 256;
        Files.createDirectories(dir);
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NodeKeys keys = KeyPairs.generate();
            writePrivate(dir.resolve("replica-" + i + ".key"), keys);
            infos.add(new ReplicaInfo(i, host, firstPort + i, keys.publicKeys()));
        }
        new ClusterConfig(infos, k, l).store(dir.resolve("genesis.properties"));
        StaticClientDirectory directory = new StaticClientDirectory();
        for (int c = 0; c < clients; c++) {
            int id = ClusterConfig.FIRST_CLIENT_ID + c;
            NodeKeys keys = KeyPairs.generate();
            writePrivate(dir.resolve("client-" + id + ".key"), keys);
            directory.admit(id, keys.publicKeys());
        }
        directory.store(dir.resolve("clients.properties"));
        System.out.println("genesis for " + n + " replicas and " + clients + " clients written to " + dir);
    }

    static void writePrivate(Path file, NodeKeys keys) throws Exception {
        Files.writeString(file, keys.encode() + "\n");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    static NodeKeys readPrivate(Path file) throws Exception {
        return NodeKeys.decode(Files.readString(file));
    }
}

package org.ehrledger.consensus.tool;

import java.nio.file.Path;

import org.ehrledger.consensus.node.GenesisDirectory;

/**
 * Creates a new network's genesis directory ({@link GenesisDirectory}): {@code genesis.properties} and
 * {@code clients.properties} (public), and one private key file per replica and client, readable by the
 * owner only.
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
        int clients = Integer.parseInt(args[4]);
        GenesisDirectory.create(dir, n, args[2], Integer.parseInt(args[3]), clients,
                args.length > 5 ? Integer.parseInt(args[5]) : 64, args.length > 6 ? Integer.parseInt(args[6]) : 256);
        System.out.println("genesis for " + n + " replicas and " + clients + " clients written to " + dir);
    }
}

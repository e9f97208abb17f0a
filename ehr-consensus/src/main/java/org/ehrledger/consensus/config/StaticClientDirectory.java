package org.ehrledger.consensus.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * A client directory kept in memory and in a properties file ({@code client.<id>.publicKeys=...}), written
 * with the genesis configuration and the same on every replica. Clients are only ever added; a client is
 * revoked by an ordered operation (see {@link org.ehrledger.consensus.api.Application#clientRevokedAt(int)}).
 */
public final class StaticClientDirectory implements ClientDirectory {

    private final Map<Integer, PublicKeys> clients = new ConcurrentHashMap<>();

    @Override
    public PublicKeys client(int clientId) {
        return clients.get(clientId);
    }

    /** Admits a client; an id keeps its first key for good. */
    public void admit(int clientId, PublicKeys keys) {
        if (clientId < ClusterConfig.FIRST_CLIENT_ID) {
            throw new IllegalArgumentException("client ids start at " + ClusterConfig.FIRST_CLIENT_ID);
        }
        PublicKeys previous = clients.putIfAbsent(clientId, keys);
        if (previous != null && !previous.equals(keys)) {
            throw new IllegalArgumentException("client " + clientId + " is already admitted with another key");
        }
    }

    /** Loads a directory file. */
    public static StaticClientDirectory load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        StaticClientDirectory d = new StaticClientDirectory();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("client.") && key.endsWith(".publicKeys")) {
                int id = Integer.parseInt(key.substring(7, key.length() - 11));
                d.admit(id, PublicKeys.decode(p.getProperty(key)));
            }
        }
        return d;
    }

    /** Writes the directory file. */
    public void store(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("# Clients admitted to submit requests\n");
            for (var e : new TreeMap<>(clients).entrySet()) {
                w.write("client." + e.getKey() + ".publicKeys=" + e.getValue().encode() + "\n");
            }
        }
    }
}

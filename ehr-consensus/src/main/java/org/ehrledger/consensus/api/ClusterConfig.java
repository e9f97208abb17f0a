package org.ehrledger.consensus.api;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * The genesis configuration every replica starts from: n = 3f+1 replicas with their addresses and
 * public keys, and the protocol constants that must be identical everywhere (checkpoint interval K and
 * watermark window L). Replica ids are {@code 0..n-1}; the primary of view v is {@code v mod n}.
 */
public final class ClusterConfig {

    /** Client ids start here, so they never collide with replica ids. */
    public static final int FIRST_CLIENT_ID = 1024;

    private final List<ReplicaInfo> replicas;
    private final int f;
    /** Default bound of one encoded request. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    /** Default bound of one batch (it must fit a frame with room to spare). */
    public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;
    /** Default bound of the batch bytes a primary may pre-prepare in one view above the stable checkpoint. */
    public static final int DEFAULT_MAX_VIEW_BYTES = 64 << 20;

    private final int checkpointInterval;
    private final int watermarkWindow;
    private final int maxRequestBytes;
    private final int maxBatchBytes;
    private final int maxViewBytes;

    /** Validates and builds a configuration with the default size limits. */
    public ClusterConfig(List<ReplicaInfo> replicas, int checkpointInterval, int watermarkWindow) {
        this(replicas, checkpointInterval, watermarkWindow, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_BATCH_BYTES);
    }

    /** Validates and builds a configuration with the default bound of a view's batch bytes. */
    public ClusterConfig(List<ReplicaInfo> replicas, int checkpointInterval, int watermarkWindow,
                         int maxRequestBytes, int maxBatchBytes) {
        this(replicas, checkpointInterval, watermarkWindow, maxRequestBytes, maxBatchBytes,
                defaultMaxViewBytes(checkpointInterval, maxRequestBytes));
    }

    /**
     * The bytes of a batch of one request of {@code requestBytes}, as {@code Batch.byteSize} counts them
     * ({@code Batch.EMPTY_BYTES + Batch.entryBytes}; written out here because this package does not depend on the
     * messages').
     */
    public static long oneRequestBatchBytes(int requestBytes) {
        return 12L + 4 + requestBytes;
    }

    /**
     * The default bound of a view's batch bytes: 64 MiB, or twice a one-request batch per sequence of a checkpoint
     * interval if more (so that what a batch must leave for the rest of its interval never holds up a correct
     * primary whose batches in flight are under half the bound: no wait at each checkpoint).
     */
    static int defaultMaxViewBytes(int checkpointInterval, int maxRequestBytes) {
        return (int) Math.min(1 << 30, Math.max(DEFAULT_MAX_VIEW_BYTES, 2 * checkpointInterval * oneRequestBatchBytes(maxRequestBytes)));
    }

    /** Validates and builds a configuration. */
    public ClusterConfig(List<ReplicaInfo> replicas, int checkpointInterval, int watermarkWindow,
                         int maxRequestBytes, int maxBatchBytes, int maxViewBytes) {
        int n = replicas.size();
        if (n < 4 || (n - 1) % 3 != 0) {
            throw new IllegalArgumentException("PBFT needs n = 3f+1 replicas with f >= 1; got n = " + n);
        }
        if (n > FIRST_CLIENT_ID) {
            throw new IllegalArgumentException("at most " + FIRST_CLIENT_ID + " replicas");
        }
        for (int i = 0; i < n; i++) {
            if (replicas.get(i).id() != i) {
                throw new IllegalArgumentException("replica ids must be 0.." + (n - 1) + " in order");
            }
        }
        if (checkpointInterval < 1 || watermarkWindow < 2 * checkpointInterval) {
            throw new IllegalArgumentException("need checkpointInterval >= 1 and watermarkWindow >= 2 * checkpointInterval");
        }
        if (maxRequestBytes < 1024 || maxBatchBytes < maxRequestBytes || maxBatchBytes > 32 << 20) {
            throw new IllegalArgumentException("need 1 KiB <= maxRequestBytes <= maxBatchBytes <= 32 MiB");
        }
        if (maxViewBytes < checkpointInterval * oneRequestBatchBytes(maxRequestBytes) || maxViewBytes > 1 << 30) {
            throw new IllegalArgumentException("need checkpointInterval * (maxRequestBytes + 16) <= maxViewBytes <= 1 GiB "
                    + "(a primary must be able to fill every sequence up to the next checkpoint)");
        }
        this.maxRequestBytes = maxRequestBytes;
        this.maxBatchBytes = maxBatchBytes;
        this.maxViewBytes = maxViewBytes;
        this.replicas = List.copyOf(replicas);
        this.f = (n - 1) / 3;
        this.checkpointInterval = checkpointInterval;
        this.watermarkWindow = watermarkWindow;
    }

    /** Number of replicas. */
    public int n() {
        return replicas.size();
    }

    /** Number of faulty replicas tolerated. */
    public int f() {
        return f;
    }

    /** Quorum size 2f+1. */
    public int quorum() {
        return 2 * f + 1;
    }

    /** Checkpoint every K sequence numbers. */
    public int checkpointInterval() {
        return checkpointInterval;
    }

    /** L: sequence numbers accepted above the low watermark. */
    public int watermarkWindow() {
        return watermarkWindow;
    }

    /** Largest encoded request any replica accepts. */
    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Largest batch (sum of encoded requests) any replica accepts in a pre-prepare. */
    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /**
     * The most batch bytes the primary of a view may have pre-prepared in that view above the stable checkpoint
     * (new proposals; a new view's re-proposals are not counted). A batch at sequence n may take what is left
     * after a one-request batch for each later sequence up to the next checkpoint, so that a correct primary can
     * always reach that checkpoint (after which the bytes below it no longer count); it waits rather than pass the
     * bound, and a correct backup ignores pre-prepares that would: a faulty primary cannot make the replicas hold
     * more than this of its batches per view, whatever the window of sequences allows ({@code watermarkWindow}
     * times {@code maxBatchBytes}).
     */
    public int maxViewBytes() {
        return maxViewBytes;
    }

    /** The replicas in id order. */
    public List<ReplicaInfo> replicas() {
        return replicas;
    }

    /** Whether an id names a replica. */
    public boolean isReplica(int id) {
        return id >= 0 && id < replicas.size();
    }

    /** Public keys of a replica, or null for any other id. */
    public PublicKeys replicaKeys(int id) {
        return isReplica(id) ? replicas.get(id).keys() : null;
    }

    /** The primary of a view. */
    public int primary(long view) {
        return (int) (view % replicas.size());
    }

    /** Loads a genesis file (Java properties format, see {@link #store(Path)}). */
    public static ClusterConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        int n = Integer.parseInt(required(p, "replicas"));
        List<ReplicaInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String addr = required(p, "replica." + i + ".address");
            int colon = addr.lastIndexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("replica." + i + ".address must be host:port, got " + addr);
            }
            list.add(new ReplicaInfo(i, addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1)),
                    PublicKeys.decode(required(p, "replica." + i + ".publicKeys"))));
        }
        int interval = Integer.parseInt(p.getProperty("checkpointInterval", "64"));
        int requestBytes = Integer.parseInt(p.getProperty("maxRequestBytes", Integer.toString(DEFAULT_MAX_REQUEST_BYTES)));
        return new ClusterConfig(list, interval, Integer.parseInt(p.getProperty("watermarkWindow", "256")), requestBytes,
                Integer.parseInt(p.getProperty("maxBatchBytes", Integer.toString(DEFAULT_MAX_BATCH_BYTES))),
                p.getProperty("maxViewBytes") == null ? defaultMaxViewBytes(interval, requestBytes)
                        : Integer.parseInt(p.getProperty("maxViewBytes")));
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("genesis file lacks '" + key + "'");
        }
        return v.trim();
    }

    /** Writes the configuration as a genesis file. */
    public void store(Path file) throws IOException {
        TreeMap<String, String> entries = new TreeMap<>();
        entries.put("replicas", Integer.toString(n()));
        entries.put("checkpointInterval", Integer.toString(checkpointInterval));
        entries.put("watermarkWindow", Integer.toString(watermarkWindow));
        entries.put("maxRequestBytes", Integer.toString(maxRequestBytes));
        entries.put("maxBatchBytes", Integer.toString(maxBatchBytes));
        if (maxViewBytes != defaultMaxViewBytes(checkpointInterval, maxRequestBytes)) {
            entries.put("maxViewBytes", Integer.toString(maxViewBytes)); // else derived again from the constants above
        }
        for (ReplicaInfo r : replicas) {
            entries.put("replica." + r.id() + ".address", r.host() + ":" + r.port());
            entries.put("replica." + r.id() + ".publicKeys", r.keys().encode());
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("# EHR Ledger genesis configuration: membership and protocol constants (identical on every replica)\n");
            for (var e : entries.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
    }
}

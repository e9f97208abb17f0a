package org.ehrledger.consensus.bench;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.node.GenesisDirectory;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.transport.JGroupsTransport;

/**
 * Closed-loop load: {@code clients} client identities (one JGroups member each), each running
 * {@code loops} logical clients that submit an operation of {@code requestBytes}, wait for its result
 * (f+1 matching replies), and submit the next. Each client signs what its loops submitted meanwhile
 * as one request (bundling). Warm-up is excluded; the last line is the result.
 *
 * <p>Usage: {@code BenchClient <genesisDir> <clients> <loops> <requestBytes> <warmupSeconds> <seconds>
 * [inFlightRequestsPerClient] [maxOperationsPerRequest]}
 */
public final class BenchClient {

    private BenchClient() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        GenesisDirectory dir = GenesisDirectory.at(Path.of(args[0]));
        int clients = Integer.parseInt(args[1]);
        int loops = Integer.parseInt(args[2]);
        int requestBytes = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        int inFlight = args.length > 6 ? Integer.parseInt(args[6]) : 4;
        int bundle = args.length > 7 ? Integer.parseInt(args[7]) : 64;
        ClusterConfig config = dir.genesis();
        ClientDirectory directory = dir.clients();
        boolean tls = !Boolean.getBoolean("ehr.bench.no-tls");

        List<PbftClient> pbftClients = new ArrayList<>();
        List<JGroupsTransport> transports = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int id = ClusterConfig.FIRST_CLIENT_ID + c;
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            NodeKeys keys = dir.clientKeys(id);
            JGroupsTransport t = JGroupsTransport.builder().id(id).keys(keys).genesis(config).clients(directory)
                    .clusterName("ehr-bench").bind("127.0.0.1", port).tls(tls).build();
            PbftClient client = new PbftClient(config, id, keys,
                    t, ClientSettings.builder().retransmitMillis(1_000).maxRetransmitMillis(4_000)
                            .requestTimeoutMillis(60_000).maxOutstanding(loops * 2).maxInFlightRequests(inFlight)
                            .maxBundleOperations(bundle).maxBundleBytes(256 * 1024).build(),
                    System::currentTimeMillis);
            t.setReceiver(client::receive);
            t.start();
            transports.add(t);
            pbftClients.add(client);
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        ticker.scheduleAtFixedRate(() -> pbftClients.forEach(c -> c.tick(System.currentTimeMillis())), 20, 20,
                TimeUnit.MILLISECONDS);
        long deadline = System.currentTimeMillis() + 120_000;
        for (JGroupsTransport t : transports) {
            while (!t.reachable().containsAll(List.of(0, 1, 2, 3).subList(0, Math.min(4, config.n())))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("replicas not reachable: " + t.reachable());
                }
                Thread.sleep(100);
            }
        }

        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong completed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long[][] latencies = new long[clients * loops][];
        int[] counts = new int[clients * loops];
        CountDownLatch done = new CountDownLatch(clients * loops);
        Random random = new Random(42);
        byte[] payload = new byte[requestBytes];
        random.nextBytes(payload);
        for (int c = 0; c < clients; c++) {
            for (int l = 0; l < loops; l++) {
                int slot = c * loops + l;
                latencies[slot] = new long[1 << 16];
                PbftClient client = pbftClients.get(c);
                new Loop(client, payload, slot, measuring, stop, completed, failed, latencies, counts, done).next();
            }
        }
        System.out.println("warming up for " + warmup + " s with " + clients * loops + " closed-loop clients");
        Thread.sleep(warmup * 1000L);
        long startCount = completed.get();
        measuring.set(true);
        long start = System.nanoTime();
        for (int s = 1; s <= seconds; s++) {
            Thread.sleep(1000);
            if (s % 10 == 0) {
                System.out.println("  " + s + " s: " + (completed.get() - startCount) / s + " ops/s so far");
            }
        }
        measuring.set(false);
        long elapsedNanos = System.nanoTime() - start;
        long ops = completed.get() - startCount;
        stop.set(true);
        done.await(30, TimeUnit.SECONDS);
        ticker.shutdownNow();
        transports.forEach(JGroupsTransport::close);

        int total = 0;
        for (int c : counts) {
            total += Math.min(c, 1 << 16);
        }
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < counts.length; i++) {
            int k = Math.min(counts[i], 1 << 16);
            System.arraycopy(latencies[i], 0, all, at, k);
            at += k;
        }
        Arrays.sort(all);
        double p50 = all.length == 0 ? 0 : all[(int) (all.length * 0.50)] / 1e6;
        double p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
        double throughput = ops / (elapsedNanos / 1e9);
        if (failed.get() > 0) {
            System.out.println("requests that failed: " + failed.get());
        }
        System.out.printf("replicas=%d request_bytes=%d throughput_ops_per_s=%.0f p50_ms=%.1f p99_ms=%.1f%n",
                config.n(), requestBytes, throughput, p50, p99);
        System.exit(0);
    }

    private static final class Loop {
        private final PbftClient client;
        private final byte[] payload;
        private final int slot;
        private final AtomicBoolean measuring;
        private final AtomicBoolean stop;
        private final AtomicLong completed;
        private final AtomicLong failed;
        private final long[][] latencies;
        private final int[] counts;
        private final CountDownLatch done;
        private long seq;

        Loop(PbftClient client, byte[] payload, int slot, AtomicBoolean measuring, AtomicBoolean stop,
             AtomicLong completed, AtomicLong failed, long[][] latencies, int[] counts, CountDownLatch done) {
            this.client = client;
            this.payload = payload;
            this.slot = slot;
            this.measuring = measuring;
            this.stop = stop;
            this.completed = completed;
            this.failed = failed;
            this.latencies = latencies;
            this.counts = counts;
            this.done = done;
        }

        void next() {
            if (stop.get()) {
                done.countDown();
                return;
            }
            byte[] op = payload.clone();
            long s = seq++;
            for (int i = 0; i < 8; i++) {
                op[i] = (byte) (s >>> (8 * i));
            }
            op[8] = (byte) slot;
            op[9] = (byte) (slot >>> 8);
            long started = System.nanoTime();
            client.submit(op).whenComplete((result, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                } else {
                    completed.incrementAndGet();
                    if (measuring.get() && counts[slot] < latencies[slot].length) {
                        latencies[slot][counts[slot]++] = System.nanoTime() - started;
                    }
                }
                next();
            });
        }
    }
}

package org.ehrledger.consensus.transport;

import static org.ehrledger.consensus.transport.Loopback.freePorts;
import static org.ehrledger.consensus.transport.Loopback.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.ehrledger.consensus.bench.BenchReplica;
import org.ehrledger.consensus.tool.GenesisTool;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Envelope;
import org.jgroups.Version;
import org.jgroups.blocks.cs.Connection;
import org.jgroups.stack.IpAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer that stops reading (a paused process, whose kernel keeps its connections open, or a Byzantine node) holds
 * up nobody else: over real TLS links on 127.0.0.1, writes towards it do not block, and a replica's frames to the
 * other replicas keep flowing while it is paused with SIGSTOP.
 */
class StuckPeerTest {

    private static final int CHUNK = 64 * 1024;
    private final Loopback.Closer cleanup = new Loopback.Closer();

    @AfterEach
    void closeEverything() {
        cleanup.close();
    }

    @Test
    @Timeout(60)
    void writesToAPeerThatStopsReadingReturnPromptlyAndItsLinkIsClosed() throws Exception {
        Pair pair = new Pair();
        Socket toStuck = pair.connect();
        pair.accepted(); // and never read from
        OutputStream out = toStuck.getOutputStream();
        byte[] chunk = new byte[CHUNK];
        long[] slowest = {0};
        long[] written = {0};
        // JGroups writes from one thread for all peers: none of these writes may wait for the stuck peer for long.
        IOException closed = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(IOException.class, () -> {
            for (int i = 0; i < 4 * LinkSocket.MAX_QUEUED_BYTES / CHUNK; i++) {
                long start = System.nanoTime();
                out.write(chunk);
                out.flush();
                slowest[0] = Math.max(slowest[0], System.nanoTime() - start);
                written[0] += CHUNK;
            }
        }), "writing 64 MiB to a peer that reads nothing");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(slowest[0]) < 2_500, "the slowest write took "
                + TimeUnit.NANOSECONDS.toMillis(slowest[0]) + " ms");
        assertTrue(written[0] >= LinkSocket.MAX_QUEUED_BYTES, "the queue took " + written[0] + " bytes first");
        assertTrue(closed.getMessage().contains("does not read"), closed.getMessage());
        assertTrue(toStuck.isClosed(), "the link is closed");
        assertEquals(1, pair.client.overflowedLinks(), "and counted");
    }

    @Test
    @Timeout(60)
    void aPeerThatReadsSlowlyGetsEveryByteOfALargeTransfer() throws Exception {
        Pair pair = new Pair();
        Socket link = pair.connect();
        Socket accepted = pair.accepted();
        long total = 3L * LinkSocket.MAX_QUEUED_BYTES;
        AtomicLong received = new AtomicLong();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[256 * 1024];
            try (InputStream in = accepted.getInputStream()) {
                in.readNBytes(pair.greetingLength);
                long chunkStart = System.nanoTime();
                for (int n; received.get() < total && (n = in.read(buf)) > 0; ) {
                    received.addAndGet(n);
                    // About 40 MB/s: slower than this node writes, never stuck.
                    if (received.get() % (4 << 20) < n) {
                        long sleep = 100 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - chunkStart);
                        Thread.sleep(Math.max(0, sleep));
                        chunkStart = System.nanoTime();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the assertion below reports what arrived
            }
        });
        reader.setDaemon(true);
        reader.start();
        OutputStream out = link.getOutputStream();
        byte[] chunk = new byte[CHUNK];
        for (long sent = 0; sent < total; sent += CHUNK) {
            out.write(chunk);
        }
        out.flush();
        assertTrue(waitFor(() -> received.get() >= total, 40_000), "received " + received.get() + " of " + total);
        assertEquals(0, pair.client.overflowedLinks(), "a peer that reads is never cut off");
    }

    @Test
    @Timeout(120)
    void aPausedReplicaDoesNotHoldUpFramesToTheOthers(@TempDir Path dir) throws Exception {
        int firstPort = freePorts(4);
        GenesisTool.main(new String[] {dir.toString(), "4", "127.0.0.1", Integer.toString(firstPort), "1"});
        ClusterConfig config = ClusterConfig.load(dir.resolve("genesis.properties"));
        StaticClientDirectory clients = StaticClientDirectory.load(dir.resolve("clients.properties"));
        // Replica 3 in its own JVM, so that it can be paused as a whole: its kernel still accepts and buffers.
        Path log = dir.resolve("replica-3.log");
        Process paused = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), BenchReplica.class.getName(),
                dir.toString(), "3", Files.createDirectories(dir.resolve("data")).toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        cleanup.add(() -> {
            signal(paused, "CONT");
            paused.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        });
        Map<Integer, AtomicLong> delivered = new ConcurrentHashMap<>();
        JGroupsTransport[] t = new JGroupsTransport[3];
        for (int i = 0; i < 3; i++) {
            ReplicaInfo me = config.replicas().get(i);
            NodeKeys keys = NodeKeys.decode(Files.readString(dir.resolve("replica-" + i + ".key")));
            t[i] = JGroupsTransport.builder().id(i).keys(keys).genesis(config).clients(clients)
                    .clusterName("ehr-bench").bind(me.host(), me.port()).build();
            int id = i;
            AtomicLong count = delivered.computeIfAbsent(id, k -> new AtomicLong());
            t[i].setReceiver(frame -> {
                if (Envelope.claimedSender(frame) == 0 && frame.length == FRAME_BYTES) {
                    count.incrementAndGet();
                }
            });
            t[i].start();
            cleanup.add(t[i]);
        }
        assertTrue(waitFor(() -> java.util.Arrays.stream(t).allMatch(x -> x.reachable().containsAll(List.of(0, 1, 2, 3))),
                60_000), "replicas 0-2 reach each other and replica 3; replica 3's log:\n" + Files.readString(log));

        signal(paused, "STOP");
        // Replica 0 sends as a primary does, from one thread to each backup in turn, 40 MB to each: more than
        // JGroups' flow control grants a peer that does not answer, and more than the kernel buffers.
        int rounds = 40_000_000 / FRAME_BYTES;
        long slowest = 0;
        long start = System.nanoTime();
        byte[] frame = frameFrom(0);
        for (int r = 0; r < rounds; r++) {
            for (int to = 1; to <= 3; to++) {
                long before = System.nanoTime();
                t[0].send(to, frame);
                slowest = Math.max(slowest, System.nanoTime() - before);
            }
        }
        long sending = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waitFor(() -> delivered.get(1).get() == rounds && delivered.get(2).get() == rounds, 30_000),
                "replicas 1 and 2 got every frame: " + delivered + " of " + rounds + " each");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(slowest) < 3_000, "no send waited for the paused replica: the slowest "
                + "took " + TimeUnit.NANOSECONDS.toMillis(slowest) + " ms (sending took " + sending + " ms)");
    }

    private static final int FRAME_BYTES = 50_000;

    private static byte[] frameFrom(int sender) {
        byte[] f = new byte[FRAME_BYTES];
        f[0] = (byte) Envelope.VERSION;
        f[1] = 1;
        f[2] = (byte) (sender >>> 24);
        f[3] = (byte) (sender >>> 16);
        f[4] = (byte) (sender >>> 8);
        f[5] = (byte) sender;
        return f;
    }

    private static void signal(Process p, String signal) throws Exception {
        if (p.isAlive()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        }
    }

    /** Two nodes of a network on 127.0.0.1: node 1 listens at its genesis address, node 0 connects to it. */
    private final class Pair {
        final NodeKeys[] keys = {KeyPairs.generate(), KeyPairs.generate()};
        final ClusterConfig config;
        final LinkTls client;
        final LinkTls serverTls;
        final ServerSocket server;
        int greetingLength;
        CompletableFuture<Socket> accepting;

        Pair() throws Exception {
            // Four distinct ports: a replica whose genesis port equalled node 0's would own the address node 0
            // claims, and node 1 would rightly refuse node 0's link (a CI run once waited 30 s for that accept).
            int port0 = freePorts(4);
            int port1 = port0 + 1;
            config = new ClusterConfig(List.of(new ReplicaInfo(0, "127.0.0.1", port0, keys[0].publicKeys()),
                    new ReplicaInfo(1, "127.0.0.1", port1, keys[1].publicKeys()),
                    new ReplicaInfo(2, "127.0.0.1", port0 + 2, KeyPairs.generate().publicKeys()),
                    new ReplicaInfo(3, "127.0.0.1", port0 + 3, KeyPairs.generate().publicKeys())), 16, 64);
            // Generous handshake deadlines: the first handshake of a cold JVM on a busy machine can take seconds.
            client = new LinkTls(0, keys[0], config::replicaKeys, Duration.ofSeconds(20));
            serverTls = new LinkTls(1, keys[1], config::replicaKeys, Duration.ofSeconds(20));
            server = serverTls.socketFactory(AddressOwners.of(config))
                    .createServerSocket("test", port1, 50, InetAddress.getLoopbackAddress());
            cleanup.add(server);
        }

        /** Node 0's link to node 1, greeted as JGroups does (claiming node 0's genesis address). */
        Socket connect() throws IOException {
            accepting = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Socket s = client.socketFactory(AddressOwners.of(config)).createSocket("test");
            cleanup.add(s);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.replicas().get(1).port()), 1_000);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            IpAddress claimed = new IpAddress("127.0.0.1", config.replicas().get(0).port());
            d.write(Connection.cookie);
            d.writeShort(Version.version);
            d.writeShort(claimed.serializedSize());
            claimed.writeTo(d);
            greetingLength = b.size();
            s.getOutputStream().write(b.toByteArray());
            s.getOutputStream().flush();
            return s;
        }

        /** Node 1's side of the link. */
        Socket accepted() throws Exception {
            try {
                Socket s = accepting.get(30, TimeUnit.SECONDS);
                cleanup.add(s);
                return s;
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("node 1 accepted nothing in 30 s: " + serverTls.failedHandshakes()
                        + " failed handshakes, " + serverTls.refusedAddresses() + " refused addresses, "
                        + serverTls.rejectedPeers() + " rejected peers", e);
            }
        }
    }
}

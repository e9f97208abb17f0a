package org.ehrledger.ejb.infrastructure.consensus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLSocket;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.transport.LinkTls;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.BlockSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Block sync between replicas over real sockets: mutual TLS with genesis keys, nobody else, bounded. */
class BlockSyncTest {

    private static final int RATE = 5;
    private static final byte[] NOTE = "note about patient pat-4711".getBytes(StandardCharsets.UTF_8);

    private final NodeKeys[] keys = new NodeKeys[4];
    private ClusterConfig genesis;
    private ScheduledExecutorService timer;
    private BlockSyncServer server;
    private final AtomicInteger served = new AtomicInteger();

    @BeforeEach
    void replicaOneServes() throws IOException {
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            keys[i] = KeyPairs.deterministic(i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7800 + i, keys[i].publicKeys()));
        }
        genesis = new ClusterConfig(infos, 8, 32);
        timer = Executors.newSingleThreadScheduledExecutor();
        server = serve(RATE);
    }

    private BlockSyncServer serve(int rate) throws IOException {
        BlockSource stored = (from, max) -> {
            served.incrementAndGet();
            return new BlockSource.Fetched(List.of(), Map.of("rec-" + from, NOTE));
        };
        BlockSyncServer s = new BlockSyncServer(1, genesis, tls(1, keys[1]), stored, Executors.defaultThreadFactory(),
                timer, new InetSocketAddress("127.0.0.1", 0), rate);
        s.start();
        return s;
    }

    @AfterEach
    void stop() {
        server.close();
        timer.shutdownNow();
    }

    private LinkTls tls(int id, NodeKeys own) {
        return new LinkTls(id, own, genesis::replicaKeys, Duration.ofSeconds(5));
    }

    /** Replica {@code id}'s block source, with the server as the only replica that listens (as replica {@code at}). */
    private PeerBlockSource source(int id, NodeKeys own, int at) throws IOException {
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            peers.add(i == at ? new InetSocketAddress("127.0.0.1", server.port()) : closedPort());
        }
        return new PeerBlockSource(id, peers, tls(id, own), timer);
    }

    private static InetSocketAddress closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
    }

    @Test
    void aReplicaFetchesBlocksFromAnotherOverMutualTls() throws IOException {
        BlockSource.Fetched f = source(0, keys[0], 1).fetch(5, 10);
        assertArrayEquals(NOTE, f.contents().get("rec-5"));
        assertEquals(1, served.get());
    }

    @Test
    void aStrangerWithASelfSignedCertificateCannotFetchBlocks() throws IOException {
        // Claims to be replica 2 in a certificate over a key that is not replica 2's genesis key.
        PeerBlockSource stranger = source(2, KeyPairs.deterministic(99), 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> stranger.fetch(0, 10));
        assertTrue(e.getMessage().contains("replica 1 at"), e.getMessage());
        assertEquals(0, served.get(), "nothing was served");
    }

    @Test
    void aClientOfTheNetworkThatIsNotAReplicaCannotFetchBlocks() throws IOException {
        // A gateway client's key is in the network's client directory, but block sync trusts replica keys only.
        int client = ClusterConfig.FIRST_CLIENT_ID;
        NodeKeys clientKeys = KeyPairs.deterministic(client);
        LinkTls clientTls = new LinkTls(client, clientKeys,
                id -> id == client ? clientKeys.publicKeys() : genesis.replicaKeys(id), Duration.ofSeconds(5));
        List<InetSocketAddress> peers = List.of(closedPort(), new InetSocketAddress("127.0.0.1", server.port()),
                closedPort(), closedPort());
        PeerBlockSource source = new PeerBlockSource(client, peers, clientTls, timer);
        assertThrows(IllegalStateException.class, () -> source.fetch(0, 10));
        assertEquals(0, served.get(), "nothing was served");
    }

    @Test
    void aReplicaAnsweringAtAnotherReplicasAddressIsNotAskedForBlocks() throws IOException {
        // Replica 1 listens where replica 0 expects replica 2.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> source(0, keys[0], 2).fetch(0, 10));
        assertTrue(e.getMessage().contains("replica 1 answered at the block sync address of replica 2"), e.getMessage());
        assertEquals(0, served.get());
    }

    @Test
    void aReplicaAskingTooOftenIsToldBusyAndTheOthersAreStillServed() throws IOException {
        // One request a second: every request here is a fresh mutual TLS handshake, which on a loaded machine
        // took longer than the default rate's 200 ms, so the bucket refilled between requests and nobody was busy.
        int rate = 1;
        server.close();
        server = serve(rate);
        int busy = 0;
        LinkTls byzantine = tls(2, keys[2]);
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            try {
                ask(byzantine, new byte[] {'E', 'H', 'R', 'B', 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 64});
            } catch (EhrException e) {
                assertEquals(ErrorCode.BUSY, e.code(), e.getMessage());
                busy++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(served.get() <= rate + rate * seconds + 1, "served " + served.get() + " in " + seconds + " s");
        assertTrue(busy > 0, "the replica asking too often was told it is busy");
        assertArrayEquals(NOTE, source(3, keys[3], 1).fetch(1, 1).contents().get("rec-1"));
    }

    @Test
    void aStrangerHoldingConnectionsOpenDoesNotStarveTheReplicas() throws IOException {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < BlockSyncServer.MAX_CONNECTIONS; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.0.2", 0)); // another host, saying nothing
                s.connect(new InetSocketAddress("127.0.0.1", server.port()));
                idle.add(s);
            }
            assertArrayEquals(NOTE, source(0, keys[0], 1).fetch(3, 1).contents().get("rec-3"));
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void aMalformedRequestGetsATypedRefusal() {
        EhrException e = assertThrows(EhrException.class, () -> ask(tls(2, keys[2]), "GET /blocks HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(ErrorCode.INVALID_INPUT, e.code());
        EhrException negative = assertThrows(EhrException.class,
                () -> ask(tls(2, keys[2]), new byte[] {'E', 'H', 'R', 'B', 1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 1}));
        assertEquals(ErrorCode.INVALID_INPUT, negative.code());
        assertEquals(0, served.get());
    }

    /** Sends raw request bytes over mutual TLS and reads the answer. */
    private BlockSource.Fetched ask(LinkTls tls, byte[] request) throws IOException {
        try (Socket raw = new Socket("127.0.0.1", server.port())) {
            raw.setSoTimeout(5_000);
            SSLSocket ssl = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, "127.0.0.1", server.port(), true);
            ssl.setSSLParameters(tls.clientParameters());
            ssl.getOutputStream().write(request);
            ssl.getOutputStream().flush();
            return BlockSync.readAnswer(new DataInputStream(ssl.getInputStream()));
        }
    }
}

package org.ehrledger.consensus.transport;

import static org.ehrledger.consensus.transport.Loopback.freePorts;
import static org.ehrledger.consensus.transport.Loopback.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLSocket;

import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.core.ReplicaRunner;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.ehrledger.consensus.log.InMemoryConsensusLog;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.testfwk.HashChainApplication;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Version;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.blocks.cs.Connection;
import org.jgroups.protocols.Discovery;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.PingHeader;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JGroups transport against listeners and Byzantine members, with real JGroups channels over TCP on
 * 127.0.0.1: TLS on every link, routing bound only by signed hellos, and JGroups' own address tables kept
 * honest.
 */
class JGroupsSecurityTest {

    private static final int N = 4;
    private static final int CLIENT = ClusterConfig.FIRST_CLIENT_ID;
    private static final int BYZANTINE = CLIENT + 1;
    private static final int CHURNER = CLIENT + 2;
    private static final String STACK = "/org/ehrledger/consensus/transport/jgroups-pbft.xml";

    private final Loopback.Closer cleanup = new Loopback.Closer();

    @AfterEach
    void closeEverything() {
        cleanup.close();
    }

    // ------------------------------------------------------------------ tests

    @Test
    @Timeout(60)
    void fourReplicasAndAClientOverTlsCommitEveryRequestAndAgree() throws Exception {
        Net net = new Net(true, null);
        net.start();
        // While the view forms, JGroups may drop a hello from a node it does not count as a member yet, and that
        // node's frames then arrive before its hello binds it: a few are dropped (and sent again), as the operators'
        // table of these counts says. Once every node has bound every other, no genuine frame is.
        assertTrue(waitFor(() -> {
            for (int i = 0; i < N; i++) {
                for (int id = 0; id < N; id++) {
                    if (id != i && net.transports[i].boundAddress(id) == null) {
                        return false;
                    }
                }
                if (net.transports[i].boundAddress(CLIENT) == null || net.clientTransport.boundAddress(i) == null) {
                    return false;
                }
            }
            return true;
        }, 20_000), "every node bound every other");
        long[] whileForming = new long[N];
        for (int i = 0; i < N; i++) {
            whileForming[i] = net.transports[i].links().droppedFrames();
            assertTrue(whileForming[i] <= 4, "a few frames at most while the view formed: " + whileForming[i]);
        }
        net.commit(100, "record ");
        net.assertAgree(100);
        for (int i = 0; i < N; i++) {
            JGroupsTransport t = net.transports[i];
            assertTrue(t.links().tls(), "TLS is on by default");
            assertEquals(0, t.links().rejectedPeers(), "no genuine node was turned away");
            assertEquals(whileForming[i], t.links().droppedFrames(), "no genuine frame was dropped once the network formed");
        }
    }

    @Test
    @Timeout(60)
    void aListenerOnEveryLinkSeesNoTransactionInTheClear() throws Exception {
        String marker = "PATIENT-7f3a9c-CONFIDENTIAL";
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Net net = new Net(true, captured);
        net.start();
        net.commit(30, marker + " ");
        net.assertAgree(30);
        byte[] bytes = snapshot(captured);
        assertTrue(bytes.length > 30 * 200, "the links carried the traffic through the listener: " + bytes.length);
        assertEquals(-1, indexOf(bytes, marker.getBytes(StandardCharsets.US_ASCII)), "the marker is not visible on the wire");
    }

    @Test
    @Timeout(60)
    void withTlsTurnedOffTheSameListenerSeesTheTransactions() throws Exception {
        // The control for the test above: the same listener does see plaintext when TLS is off.
        String marker = "PATIENT-7f3a9c-CONFIDENTIAL";
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Net net = new Net(false, captured);
        net.start();
        net.commit(30, marker + " ");
        assertTrue(indexOf(snapshot(captured), marker.getBytes(StandardCharsets.US_ASCII)) >= 0,
                "without TLS the marker crosses the wire in the clear");
    }

    @Test
    @Timeout(60)
    void aNodeWithoutAGenesisKeyCannotConnectOrDeliverFrames() throws Exception {
        Net net = new Net(true, null);
        net.start();
        int rogueId = CLIENT + 100;
        long[] failedBefore = new long[N];
        for (int r = 0; r < N; r++) {
            failedBefore[r] = net.transports[r].links().failedHandshakes();
        }
        NodeKeys rogueKeys = KeyPairs.generate();
        // The rogue believes itself admitted (its own directory lists it); the network's does not.
        Map<Integer, PublicKeys> rogueDirectory = new ConcurrentHashMap<>(net.directory);
        rogueDirectory.put(rogueId, rogueKeys.publicKeys());
        JGroupsTransport rogue = JGroupsTransport.builder().id(rogueId).keys(rogueKeys).genesis(net.config)
                .clients(rogueDirectory::get).clusterName(net.cluster).bind("127.0.0.1", freePorts(1)).build();
        cleanup.add(rogue);
        rogue.start();
        // And a rogue without TLS at all.
        JGroupsTransport plain = JGroupsTransport.builder().id(rogueId + 1).keys(rogueKeys).genesis(net.config)
                .clients(id -> id == rogueId + 1 ? rogueKeys.publicKeys() : rogueDirectory.get(id))
                .clusterName(net.cluster).bind("127.0.0.1", freePorts(1)).tls(false).build();
        cleanup.add(plain);
        plain.start();

        byte[] frame = frameClaiming(rogueId);
        // Knock for a second at least, and until every replica turned both rogues away at least once (at most 5 s).
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() - start < 5_000
                && (System.currentTimeMillis() - start < 1_000 || !everyReplicaFailed(net, failedBefore, 2))) {
            for (int r = 0; r < N; r++) {
                IpAddress replica = new IpAddress("127.0.0.1", net.genesisPort(r));
                rogue.channel().send(new BytesMessage(replica, frame).setFlag(Message.Flag.NO_RELIABILITY));
                plain.channel().send(new BytesMessage(replica, frame).setFlag(Message.Flag.NO_RELIABILITY));
                rogue.send(r, frame);
            }
            Thread.sleep(100);
        }
        net.commit(10, "while a rogue knocks ");
        long rejected = 0;
        for (int r = 0; r < N; r++) {
            JGroupsTransport t = net.transports[r];
            assertFalse(t.reachable().contains(rogueId) || t.reachable().contains(rogueId + 1),
                    "replica " + r + " never reaches a rogue: " + t.reachable());
            assertNull(t.boundAddress(rogueId), "no binding for the rogue at replica " + r);
            assertFalse(t.channel().getView().size() > N + 1, "the rogues are not members at replica " + r);
            rejected += t.links().rejectedPeers() + t.links().failedHandshakes();
        }
        for (int r = 0; r < N; r++) {
            assertFalse(net.claimedSenders.get(r).contains(rogueId) || net.claimedSenders.get(r).contains(rogueId + 1),
                    "no frame of a rogue reached replica " + r);
        }
        assertEquals(Set.of(rogueId), rogue.reachable(), "the rogue reaches nobody");
        assertTrue(rejected > 0, "the replicas turned the rogues away at the TLS handshake");
    }

    @Test
    @Timeout(60)
    void aByzantineClientClaimingReplicaTwoChangesNothingForTheCorrectReplicas() throws Exception {
        Net net = new Net(true, null);
        net.start();
        Address replica2 = net.transports[2].channel().getAddress();
        BindingWatch watch = new BindingWatch(net, 2);
        cleanup.add(watch);

        // A member with a valid client key, calling itself "ehr-2" (what the old transport routed by).
        JChannel byz = net.rawMember(BYZANTINE, "ehr-2");
        List<byte[]> replica2Hellos = new CopyOnWriteArrayList<>();
        byz.setReceiver(new org.jgroups.Receiver() {
            @Override
            public void receive(Message msg) {
                if (Hello.isHello(msg.getArray()) && Hello.decode(msg.getArray()).node() == 2) {
                    replica2Hellos.add(msg.getArray());
                }
            }
        });
        byz.connect(net.cluster);
        // Messages with forged sources go from a second channel of the same member: JGroups bundles messages to one
        // destination under the source of the first, so mixing them would only garble the attacker's own traffic.
        JChannel forger = net.rawMember(BYZANTINE, "ehr-2");
        forger.connect(net.cluster);
        assertTrue(waitFor(() -> !replica2Hellos.isEmpty(), 10_000), "replica 2 greets every member");
        long before = totalRejectedHellos(net);
        // The control for the poisoned discovery data below: the same announcement for an address no hello bound.
        UUID unbound = UUID.randomUUID();

        AtomicBoolean stop = new AtomicBoolean();
        NodeCrypto signer2 = new NodeCrypto(2, net.byzantineKeys, id -> null);
        IpAddress byzPhysical = (IpAddress) byz.down(new org.jgroups.Event(org.jgroups.Event.GET_PHYSICAL_ADDRESS,
                byz.getAddress()));
        InetSocketAddress byzTcp = new InetSocketAddress(byzPhysical.getIpAddress(), byzPhysical.getPort());
        short tcpping = byz.getProtocolStack().findProtocol(TCPPING.class).getId();
        Thread attacker = new Thread(() -> {
            long incarnation = System.currentTimeMillis() + 60_000;
            UUID squatted = Hello.addressOf(net.cluster, 2, incarnation);
            while (!stop.get()) {
                try {
                    for (int r : new int[] {0, 1, 3}) {
                        Address to = net.transports[r].channel().getAddress();
                        // 1. hellos for id 2, signed with the wrong key, from its own and from a squatted address
                        byz.send(new BytesMessage(to, Hello.signed(signer2, net.cluster, (UUID) byz.getAddress(), byzTcp,
                                incarnation, true).encode()));
                        forger.send(forged(to, Hello.signed(signer2, net.cluster, squatted, byzTcp, incarnation, true)
                                .encode(), squatted));
                        // 2. replica 2's own hello, replayed from the Byzantine address and from replica 2's
                        byte[] genuine = replica2Hellos.get(0);
                        byz.send(new BytesMessage(to, genuine));
                        forger.send(forged(to, genuine, replica2));
                        // 3. PBFT frames claiming to come from replica 2
                        byz.send(new BytesMessage(to, frameClaiming(2)));
                        // 4. discovery data mapping replica 2's JGroups address to the Byzantine TCP address (sent
                        // like real discovery data, outside reliable unicast, which sits above discovery)
                        byz.send(new BytesMessage(to).putHeader(tcpping, new PingHeader(PingHeader.GET_MBRS_RSP))
                                .setArray(Discovery.marshal(new PingData(replica2, true, "ehr-2", byzPhysical)))
                                .setFlag(Message.Flag.OOB, Message.Flag.NO_RELIABILITY));
                        byz.send(new BytesMessage(to).putHeader(tcpping, new PingHeader(PingHeader.GET_MBRS_RSP))
                                .setArray(Discovery.marshal(new PingData(unbound, true, "unbound", byzPhysical)))
                                .setFlag(Message.Flag.OOB, Message.Flag.NO_RELIABILITY));
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // keep attacking
                }
            }
        }, "byzantine");
        attacker.start();
        // 5. a TLS connection with the valid client key that tells replica 0 it is replica 2's TCP address
        boolean takeoverRefused = claimAddressOverTls(net, 0, net.genesisPort(2));
        try {
            net.commit(100, "under attack ");
        } finally {
            stop.set(true);
            attacker.join(5_000);
        }
        net.assertAgree(100);
        watch.close();
        IpAddress replica2Tcp = new IpAddress("127.0.0.1", net.genesisPort(2));
        for (int r : new int[] {0, 1, 3}) {
            assertEquals(Set.of(raw(replica2)), watch.seen.get(r), "replica " + r + " kept replica 2 where it is");
            assertEquals(Set.of(replica2Tcp), watch.tcp.get(r), "replica " + r + " sent replica 2's traffic to it");
        }
        assertTrue(totalRejectedHellos(net) > before, "the forged hellos were rejected");
        assertTrue(net.transports[0].links().droppedFrames() > 0, "the frames claiming replica 2 were dropped");
        // The poisoned data did reach JGroups' address cache (the control, for an unbound address, is in it), and
        // for replica 2 it was ignored (the TCP addresses above).
        assertEquals(byzPhysical, net.transports[0].channel().getProtocolStack().getTransport()
                .getPhysicalAddressFromCache(unbound), "the discovery data reached replica 0");
        assertTrue(takeoverRefused, "replica 0 closed the connection claiming replica 2's TCP address");
        assertTrue(net.transports[0].links().refusedAddresses() > 0, "and counted it");
        for (int r : new int[] {0, 1, 3}) {
            assertFalse(net.claimedSenders.get(r).isEmpty(), "replica " + r + " heard its peers");
        }
    }

    @Test
    @Timeout(60)
    void aMemberJoiningAndLeavingTwentyTimesChangesNoBinding() throws Exception {
        Net net = new Net(true, null);
        net.start();
        BindingWatch watch = new BindingWatch(net, 2);
        cleanup.add(watch);
        Map<Integer, Address> clientAt = new ConcurrentHashMap<>();
        for (int r = 0; r < N; r++) {
            clientAt.put(r, net.transports[r].boundAddress(CLIENT));
        }
        AtomicBoolean churning = new AtomicBoolean(true);
        AtomicInteger joins = new AtomicInteger();
        Thread churner = new Thread(() -> {
            try {
                // One member (a valid client key, named like replica 2), a new JGroups address on every join.
                JChannel ch = net.rawMember(CHURNER, "ehr-2");
                for (int i = 0; i < 20; i++) {
                    ch.connect(net.cluster);
                    joins.incrementAndGet();
                    ch.disconnect();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                churning.set(false);
            }
        }, "churner");
        churner.start();
        int committed = 0;
        while (churning.get() || committed < 40) {
            net.commit(10, "during churn " + committed + " ");
            committed += 10;
        }
        churner.join(30_000);
        assertEquals(20, joins.get(), "the member joined and left 20 times");
        net.assertAgree(committed);
        watch.close();
        for (int r : new int[] {0, 1, 3}) {
            assertEquals(Set.of(raw(net.transports[2].channel().getAddress())), watch.seen.get(r), "replica " + r + " kept replica 2");
        }
        for (int r = 0; r < N; r++) {
            assertEquals(clientAt.get(r), net.transports[r].boundAddress(CLIENT), "replica " + r + " kept the client");
        }
        for (int r = 0; r < N; r++) {
            assertNull(net.transports[r].boundAddress(CHURNER), "a member that never signs a hello is never bound");
        }
    }

    @Test
    @Timeout(60)
    void aBoundReplicaThatAViewLeavesOutStillReceivesFrames() throws Exception {
        Net net = new Net(true, null);
        int[] ids = {0, 1};
        JGroupsTransport[] t = new JGroupsTransport[2];
        List<Integer> arrived = new CopyOnWriteArrayList<>();
        for (int i : ids) {
            t[i] = net.transport(i, net.keys[i], true);
            cleanup.add(t[i]);
            if (i == 1) {
                t[i].setReceiver(frame -> arrived.add(Envelope.claimedSender(frame)));
            }
            t[i].start();
        }
        assertTrue(waitFor(() -> t[0].boundAddress(1) != null && t[1].boundAddress(0) != null, 15_000), "bound");
        // A view without replica 1, as a faulty coordinator could install it.
        GMS gms = t[0].channel().getProtocolStack().findProtocol(GMS.class);
        gms.installView(new View(new ViewId(t[0].channel().getAddress(), 1_000), List.of(t[0].channel().getAddress())));
        assertFalse(t[0].channel().getView().containsMember(t[1].channel().getAddress()), "the view leaves replica 1 out");
        assertFalse(t[0].reachable().contains(1), "reachable() follows the view");
        // PBFT frames travel without JGroups' retransmission (PBFT retransmits them itself), and the new view
        // makes JGroups drop its connection to replica 1: send the frame again, as PBFT would, until it arrives.
        long deadline = System.currentTimeMillis() + 5_000;
        while (!arrived.contains(0) && System.currentTimeMillis() < deadline) {
            t[0].send(1, frameClaiming(0));
            waitFor(() -> arrived.contains(0), 500);
        }
        assertTrue(arrived.contains(0), "the frame still reaches replica 1");
        assertEquals(t[1].channel().getAddress(), t[0].boundAddress(1), "and the binding stayed");
    }

    @Test
    @Timeout(60)
    void aRestartedReplicaRebindsButAReplayedOldHelloDoesNot() throws Exception {
        Net net = new Net(true, null);
        JGroupsTransport[] t = new JGroupsTransport[3];
        for (int i = 0; i < 2; i++) {
            t[i] = net.transport(i, net.keys[i], true);
            cleanup.add(t[i]);
            t[i].start();
        }
        assertTrue(waitFor(() -> t[0].boundAddress(1) != null, 15_000), "bound");
        Address first = t[1].channel().getAddress();
        // Capture replica 1's first hello, as a listener inside the group could.
        List<byte[]> hellos = new CopyOnWriteArrayList<>();
        JChannel spy = net.rawMember(BYZANTINE, "spy");
        cleanup.add(spy);
        spy.setReceiver(new org.jgroups.Receiver() {
            @Override
            public void receive(Message msg) {
                if (Hello.isHello(msg.getArray()) && Hello.decode(msg.getArray()).node() == 1) {
                    hellos.add(msg.getArray());
                }
            }
        });
        spy.connect(net.cluster);
        assertTrue(waitFor(() -> !hellos.isEmpty(), 10_000), "replica 1 greeted the spy");

        t[1].close();
        Thread.sleep(5);
        t[2] = net.transport(1, net.keys[1], true);
        cleanup.add(t[2]);
        t[2].start();
        Address second = t[2].channel().getAddress();
        assertFalse(first.equals(second), "a new incarnation speaks from a new address");
        assertTrue(waitFor(() -> second.equals(t[0].boundAddress(1)), 15_000), "replica 0 re-binds the restarted replica");

        // Replayed exactly as first sent, from the address it names (JGroups does not authenticate sources).
        long rejected = t[0].links().rejectedHellos();
        t[0].onMessage(new BytesMessage(t[0].channel().getAddress(), hellos.get(0)).setSrc(first));
        assertEquals(rejected + 1, t[0].links().rejectedHellos(), "the replayed old hello is rejected");
        assertEquals(second, t[0].boundAddress(1), "and changes nothing");
        // Over the network as well.
        spy.send(forged(t[0].channel().getAddress(), hellos.get(0), first));
        assertTrue(waitFor(() -> t[0].links().rejectedHellos() > rejected + 1, 5_000), "rejected again");
        assertEquals(second, t[0].boundAddress(1), "still nothing changes");
    }

    @Test
    @Timeout(30)
    void aSilentPeerCannotStallConnectionSetUp() throws Exception {
        Net net = new Net(true, null);
        LinkTls tls = new LinkTls(0, net.keys[0], net::keys, Duration.ofMillis(500));
        TlsSocketFactory factory = (TlsSocketFactory) tls.socketFactory(AddressOwners.of(net.config));
        // A peer that accepts TCP connections and then says nothing.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        cleanup.add(silent);
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread holder = new Thread(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException e) {
                // closed
            }
        });
        holder.setDaemon(true);
        holder.start();
        long start = System.nanoTime();
        Socket out = factory.createSocket("test");
        // JGroups connects on its sending thread: connect() returns once TCP is up, the handshake runs on the
        // link's own thread and fails within its timeout.
        out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), 1_000);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 250, "connect() did not wait for the silent peer's handshake: " + took + " ms");
        out.getOutputStream().write(new byte[100]);
        assertThrows(IOException.class, () -> out.getInputStream().read());
        took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 2_000, "the link to a silent peer failed after the handshake timeout: " + took + " ms");
        assertTrue(out.isClosed(), "and is closed");
        // JGroups connects on its sending thread: the next attempt within the back-off fails at once.
        start = System.nanoTime();
        Socket again = factory.createSocket("test");
        assertThrows(IOException.class, () -> again.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                silent.getLocalPort()), 1_000));
        took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 250, "a peer that just timed out is not waited for again: " + took + " ms");

        // Accepting side, with a longer timeout: silent connections do not hold up a genuine one.
        LinkTls serverTls = new LinkTls(0, net.keys[0], net::keys, Duration.ofSeconds(5));
        ServerSocket server = serverTls.socketFactory(AddressOwners.of(net.config))
                .createServerSocket("test", 0, 50, InetAddress.getLoopbackAddress());
        cleanup.add(server);
        for (int i = 0; i < 5; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            cleanup.add(s);
        }
        LinkTls peerTls = new LinkTls(1, net.keys[1], net::keys, Duration.ofSeconds(2));
        TlsSocketFactory peer = (TlsSocketFactory) peerTls.socketFactory(AddressOwners.of(net.config));
        CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Socket genuine = peer.createSocket("test");
        cleanup.add(genuine);
        start = System.nanoTime();
        genuine.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 1_000);
        // JGroups' greeting, claiming replica 1's genesis address (owned by replica 1, so no probe is needed).
        greet(genuine.getOutputStream(), new IpAddress("127.0.0.1", net.genesisPort(1)));
        Socket in = accepted.get(3, TimeUnit.SECONDS);
        cleanup.add(in);
        took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 4_000, "the genuine peer was accepted without waiting for the silent ones: " + took + " ms");
        assertFalse(in instanceof SSLSocket, "JGroups gets a socket it will not handshake again");
    }

    // ------------------------------------------------------------------ harness

    /** Four replicas and a client on 127.0.0.1, optionally each behind a recording TCP forwarder. */
    private final class Net {
        final NodeKeys[] keys = new NodeKeys[N];
        final NodeKeys clientKeys = KeyPairs.generate();
        final NodeKeys byzantineKeys = KeyPairs.generate();
        final NodeKeys churnerKeys = KeyPairs.generate();
        final Map<Integer, PublicKeys> directory = new ConcurrentHashMap<>();
        final ClusterConfig config;
        final String cluster = "ehr-sec-" + System.nanoTime();
        final boolean tls;
        final ByteArrayOutputStream tap;
        final Map<Integer, Integer> bindPorts = new ConcurrentHashMap<>();
        final Map<Integer, Integer> advertisedPorts = new ConcurrentHashMap<>();
        final JGroupsTransport[] transports = new JGroupsTransport[N];
        final HashChainApplication[] apps = new HashChainApplication[N];
        final List<Set<Integer>> claimedSenders = new ArrayList<>();
        JGroupsTransport clientTransport;
        PbftClient client;

        Net(boolean tls, ByteArrayOutputStream tap) throws Exception {
            this.tls = tls;
            this.tap = tap;
            List<ReplicaInfo> infos = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                keys[i] = KeyPairs.generate();
                infos.add(new ReplicaInfo(i, "127.0.0.1", port(i), keys[i].publicKeys()));
                claimedSenders.add(ConcurrentHashMap.newKeySet());
            }
            port(CLIENT);
            config = new ClusterConfig(infos, 16, 64);
            directory.put(CLIENT, clientKeys.publicKeys());
            directory.put(BYZANTINE, byzantineKeys.publicKeys());
            directory.put(CHURNER, churnerKeys.publicKeys());
        }

        /** Allocates the node's ports; with a tap, the advertised (genesis) port is the forwarder's. */
        private int port(int id) throws IOException {
            int bind = freePorts(1);
            bindPorts.put(id, bind);
            int advertised = bind;
            if (tap != null) {
                Tap t = new Tap(bind, tap);
                cleanup.add(t);
                advertised = t.port();
            }
            advertisedPorts.put(id, advertised);
            return advertised;
        }

        int genesisPort(int replica) {
            return advertisedPorts.get(replica);
        }

        PublicKeys keys(int id) {
            return config.isReplica(id) ? config.replicaKeys(id) : directory.get(id);
        }

        JGroupsTransport transport(int id, NodeKeys nodeKeys, boolean withTls) {
            JGroupsTransport.Builder b = JGroupsTransport.builder().id(id).keys(nodeKeys).genesis(config)
                    .clients(directory::get).clusterName(cluster).bind("127.0.0.1", bindPorts.get(id)).tls(withTls);
            if (tap != null) {
                b.advertise("127.0.0.1", advertisedPorts.get(id));
            }
            return b.build();
        }

        void start() throws Exception {
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            cleanup.add(ticker::shutdownNow);
            for (int i = 0; i < N; i++) {
                apps[i] = new HashChainApplication(64, null);
                transports[i] = transport(i, keys[i], tls);
                Transport recorded = new Recording(transports[i], claimedSenders.get(i));
                Replica r = new Replica(config, ReplicaSettings.defaults(), i, keys[i], directory::get, apps[i],
                        new InMemoryConsensusLog(), recorded);
                ReplicaRunner runner = new ReplicaRunner(r, recorded, 10_000);
                cleanup.add(runner);
                runner.start();
            }
            clientTransport = transport(CLIENT, clientKeys, tls);
            cleanup.add(clientTransport);
            client = new PbftClient(config, CLIENT, clientKeys, clientTransport, ClientSettings.defaults(),
                    System::currentTimeMillis);
            clientTransport.setReceiver(client::receive);
            clientTransport.start();
            ticker.scheduleAtFixedRate(() -> client.tick(System.currentTimeMillis()), 20, 20, TimeUnit.MILLISECONDS);
            assertTrue(waitFor(() -> missingBindings().isEmpty(), 20_000), "every node bound every other, missing "
                    + missingBindings());
        }

        /** "a->b" for every node a that has not bound node b. */
        private List<String> missingBindings() {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                if (clientTransport.boundAddress(i) == null) {
                    missing.add(CLIENT + "->" + i);
                }
                if (transports[i].boundAddress(CLIENT) == null) {
                    missing.add(i + "->" + CLIENT);
                }
                for (int j = 0; j < N; j++) {
                    if (i != j && transports[i].boundAddress(j) == null) {
                        missing.add(i + "->" + j);
                    }
                }
            }
            return missing;
        }

        void commit(int count, String prefix) throws Exception {
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                futures.add(client.submit((prefix + i).getBytes(StandardCharsets.UTF_8)));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        void assertAgree(long count) throws InterruptedException {
            waitFor(() -> {
                for (HashChainApplication a : apps) {
                    if (a.count() != count || !a.chain().equals(apps[0].chain())) {
                        return false;
                    }
                }
                return true;
            }, 20_000);
            for (int i = 0; i < N; i++) {
                assertEquals(count, apps[i].count(), "replica " + i + " executed every request once");
                assertEquals(apps[0].chain(), apps[i].chain(), "replica " + i + " state digest");
            }
        }

        /** A bare JGroups member on the network's stack with TLS under a valid client key. */
        JChannel rawMember(int id, String name) throws Exception {
            String xml;
            try (InputStream in = JGroupsSecurityTest.class.getResourceAsStream(STACK)) {
                xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            xml = xml.replace("${bind_addr}", "127.0.0.1").replace("${bind_port}", Integer.toString(freePorts(1)))
                    .replace("${initial_hosts}", JGroupsTransport.initialHosts(config));
            JChannel ch = new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
            ch.name(name);
            if (tls) {
                NodeKeys k = id == BYZANTINE ? byzantineKeys : churnerKeys;
                LinkTls link = LinkTls.forNetwork(id, k, config, directory::get, Duration.ofSeconds(2));
                ((TCP) ch.getProtocolStack().getTransport()).setSocketFactory(link.socketFactory(AddressOwners.of(config)));
            }
            cleanup.add(ch);
            return ch;
        }
    }

    /** Records the claimed sender of every frame the transport delivers to the replica. */
    private record Recording(Transport inner, Set<Integer> senders) implements Transport {
        @Override
        public void setReceiver(Receiver receiver) {
            inner.setReceiver(frame -> {
                senders.add(Envelope.claimedSender(frame));
                receiver.receive(frame);
            });
        }

        @Override
        public void start() throws Exception {
            inner.start();
        }

        @Override
        public void send(int destination, byte[] message) {
            inner.send(destination, message);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** Samples every replica's binding of one id until closed. */
    private static final class BindingWatch implements AutoCloseable {
        final Map<Integer, Set<String>> seen = new ConcurrentHashMap<>();
        /** The TCP address JGroups would send the bound address's traffic to. */
        final Map<Integer, Set<Address>> tcp = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        BindingWatch(Net net, int id) {
            for (int r = 0; r < N; r++) {
                seen.put(r, ConcurrentHashMap.newKeySet());
                tcp.put(r, ConcurrentHashMap.newKeySet());
            }
            thread = new Thread(() -> {
                while (running) {
                    for (int r = 0; r < N; r++) {
                        Address a = net.transports[r].boundAddress(id);
                        if (a != null) {
                            seen.get(r).add(raw(a));
                            Address physical = net.transports[r].channel().getProtocolStack().getTransport()
                                    .getPhysicalAddressFromCache(a);
                            if (physical != null) {
                                tcp.get(r).add(physical);
                            }
                        }
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "binding-watch");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(1_000);
        }
    }

    /** A TCP forwarder that records every byte in both directions. */
    private static final class Tap implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        Tap(int target, ByteArrayOutputStream sink) throws IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    Socket a = null;
                    try {
                        a = server.accept();
                        Socket b = new Socket(InetAddress.getLoopbackAddress(), target);
                        sockets.add(a);
                        sockets.add(b);
                        pump(a, b, sink);
                        pump(b, a, sink);
                    } catch (IOException e) {
                        // closed, or the target is not up yet: refuse like the target would, the node retries
                        TlsSocketFactory.closeQuietly(a);
                    }
                }
            }, "tap-" + target);
            t.setDaemon(true);
            t.start();
        }

        private static void pump(Socket from, Socket to, ByteArrayOutputStream sink) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        synchronized (sink) {
                            sink.write(buf, 0, n);
                        }
                        out.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    // connection closed
                } finally {
                    TlsSocketFactory.closeQuietly(from);
                    TlsSocketFactory.closeQuietly(to);
                }
            }, "tap-pump");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            sockets.forEach(TlsSocketFactory::closeQuietly);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Connects to a replica with the Byzantine client key and claims another TCP address; true if refused. */
    private static boolean claimAddressOverTls(Net net, int replica, int claimedPort) throws Exception {
        LinkTls link = LinkTls.forNetwork(BYZANTINE, net.byzantineKeys, net.config, net.directory::get,
                Duration.ofSeconds(2));
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), net.genesisPort(replica))) {
            SSLSocket s = (SSLSocket) link.context().getSocketFactory().createSocket(raw, "127.0.0.1",
                    net.genesisPort(replica), true);
            s.setSSLParameters(link.clientParameters());
            s.setSoTimeout(3_000);
            s.startHandshake();
            greet(s.getOutputStream(), new IpAddress("127.0.0.1", claimedPort));
            try {
                // Accepted, this connection would carry (some of) the replica's traffic for the claimed address.
                return s.getInputStream().read() < 0;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }

    /**
     * A message with a forged JGroups source. Sent outside JGroups' reliable unicast (which keys its sequence
     * numbers by the source and would itself be disturbed, see the report): this exercises the transport's checks.
     */
    private static Message forged(Address to, byte[] payload, Address src) {
        return new BytesMessage(to, payload).setSrc(src).setFlag(Message.Flag.NO_RELIABILITY, Message.Flag.OOB);
    }

    /** Writes JGroups' TCP greeting: cookie, version, peer address. */
    private static void greet(OutputStream out, IpAddress claimed) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.write(Connection.cookie);
        d.writeShort(Version.version);
        d.writeShort(claimed.serializedSize());
        claimed.writeTo(d);
        out.write(b.toByteArray());
        out.flush();
    }

    /** A frame header naming a sender (its MAC is junk: the transport must drop it before anyone checks). */
    private static byte[] frameClaiming(int sender) {
        byte[] f = new byte[64];
        f[0] = (byte) Envelope.VERSION;
        f[1] = 1;
        f[2] = (byte) (sender >>> 24);
        f[3] = (byte) (sender >>> 16);
        f[4] = (byte) (sender >>> 8);
        f[5] = (byte) sender;
        return f;
    }

    /** An address as its raw UUID (JGroups prints logical names, which the attackers here imitate). */
    private static String raw(Address a) {
        return a instanceof UUID u ? u.toStringLong() : String.valueOf(a);
    }

    /** Whether every replica counted at least {@code more} failed handshakes since {@code before}. */
    private static boolean everyReplicaFailed(Net net, long[] before, int more) {
        for (int r = 0; r < N; r++) {
            if (net.transports[r].links().failedHandshakes() < before[r] + more) {
                return false;
            }
        }
        return true;
    }

    private static long totalRejectedHellos(Net net) {
        long sum = 0;
        for (JGroupsTransport t : net.transports) {
            sum += t.links().rejectedHellos();
        }
        return sum;
    }

    private static byte[] snapshot(ByteArrayOutputStream captured) {
        synchronized (captured) {
            return captured.toByteArray();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

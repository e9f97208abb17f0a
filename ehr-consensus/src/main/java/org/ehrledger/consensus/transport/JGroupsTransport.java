package org.ehrledger.consensus.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.LinkStatus;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TP;
import org.jgroups.stack.IpAddress;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.UUID;

/**
 * PBFT frames over a JGroups channel, with routing that no other node can subvert. Every node (replica or client)
 * joins one JGroups cluster; replicas listen on their genesis addresses, which TCPPING uses for discovery.
 *
 * <p><b>Who is where.</b> JGroups membership is only crash-tolerant and any member may claim any name, so node
 * ids are bound to JGroups addresses only by signed {@linkplain Hello hellos}: a node announces its id, the JGroups
 * address it speaks from (derived from id and incarnation), the TCP address it listens on and its incarnation,
 * signed with its genesis key. A hello binds an id if it verifies, comes from the address it names, and there is
 * no binding yet or its incarnation is newer (a restarted node re-binds, a replayed hello does not). Views never
 * remove a binding: a faulty coordinator or a storm of joins and leaves cannot cut a node off. Frames whose
 * claimed sender is not the id bound to the JGroups address they came from are dropped. The TCP address signed
 * in a hello is pinned in JGroups' address cache ({@link PhysicalAddressGuard}).
 *
 * <p><b>Links.</b> With TLS (the default) every connection is TLS 1.3 between holders of genesis keys
 * ({@link LinkTls}), and a connection is filed under a TCP address only if its authenticated node listens there.
 *
 * <p>Hellos go to every member on each view change, and straight to the replicas' genesis addresses, and are
 * re-sent a bounded number of times until the other side's hello is seen. The stack is loaded through this
 * library's class loader.
 */
public final class JGroupsTransport implements Transport {

    private static final Logger LOG = Logger.getLogger(JGroupsTransport.class.getName());
    private static final String DEFAULT_STACK = "/org/ehrledger/consensus/transport/jgroups-pbft.xml";
    /** JGroups logical names are for people reading logs only; nothing routes by them. */
    private static final String NAME_PREFIX = "ehr-";
    private static final int HELLO_ROUNDS = 6;
    private static final long HELLO_INTERVAL_MILLIS = 500;
    /** Between view changes, unanswered hellos are retried this rarely (in hello intervals). */
    private static final int IDLE_HELLO_EVERY = 20;
    private static final long ANSWER_INTERVAL_MILLIS = 1000;
    /**
     * A bound node outside the JGroups view is still sent to while it was heard from this recently (a live
     * replica excluded by a faulty coordinator keeps sending, at least its checkpoint every 5 s, so it stays
     * reachable), but no longer: every frame to a paused or dead host makes JGroups try to connect to it on its
     * sending thread, under the lock all sending shares (measured: 25 s here stalled the network during a pause).
     */
    private static final long HEARD_WINDOW_MILLIS = 6_000;

    /**
     * PBFT frames go without JGroups' retransmission and flow control. PBFT recovers lost frames itself, and both
     * would make a peer that stops reading hold up the sender: UFC blocks the sending thread (the replica's) once
     * the peer has not granted credits for 16 MB, until JGroups excludes the peer or forever if it keeps sending
     * heartbeats; UNICAST3 keeps every unacknowledged frame for it. A frame is lost only when its connection
     * breaks, which {@link LinkSocket} does to a peer that leaves 16 MB unread.
     */
    private static final Message.Flag[] PBFT_FLAGS = {Message.Flag.NO_RELIABILITY, Message.Flag.NO_FC};

    /** An id bound by a verified hello. */
    record Binding(int id, UUID address, IpAddress physical, long incarnation) {
    }

    private final int self;
    private final String clusterName;
    private final String stackXml;
    private final NodeCrypto signer;
    private final KeyDirectory directory;
    private final InetSocketAddress advertised;
    private final LinkTls tls;
    private final AddressOwners owners;
    private final Map<Integer, IpAddress> replicaAddresses;
    private final Map<Integer, Binding> bindings = new ConcurrentHashMap<>();
    private final Map<Address, Binding> byAddress = new ConcurrentHashMap<>();
    private final Map<Integer, Long> lastAnswer = new ConcurrentHashMap<>();
    private final Map<Integer, Long> lastHeard = new ConcurrentHashMap<>();
    private final AtomicLong unroutable = new AtomicLong();
    private final AtomicLong rejectedHellos = new AtomicLong();
    private final AtomicLong droppedFrames = new AtomicLong();
    private final AtomicInteger helloRoundsLeft = new AtomicInteger();
    private final AtomicLong helloTicks = new AtomicLong();
    private volatile Transport.Receiver receiver;
    private volatile JChannel channel;
    private volatile ScheduledExecutorService helloTimer;
    private volatile byte[] helloAsking;
    private volatile byte[] helloAnswering;

    private JGroupsTransport(Builder b) {
        this.self = b.id;
        this.clusterName = b.clusterName;
        this.directory = new KeyDirectory(b.genesis, b.clients);
        this.signer = new NodeCrypto(b.id, b.keys, peer -> null);
        this.advertised = b.advertised;
        String template = readStack(b.stackFile);
        this.stackXml = template.replace("${bind_addr}", b.bindAddress).replace("${bind_port}", Integer.toString(b.bindPort))
                .replace("${initial_hosts}", b.initialHosts != null ? b.initialHosts : initialHosts(b.genesis));
        this.tls = b.tls ? LinkTls.forNetwork(b.id, b.keys, b.genesis, b.clients, b.handshakeTimeout) : null;
        this.owners = AddressOwners.of(b.genesis);
        Map<Integer, IpAddress> replicas = new HashMap<>();
        for (ReplicaInfo r : b.genesis.replicas()) {
            InetSocketAddress a = new InetSocketAddress(r.host(), r.port());
            if (!a.isUnresolved()) {
                replicas.put(r.id(), new IpAddress(a));
            }
        }
        this.replicaAddresses = Map.copyOf(replicas);
    }

    /** A builder; id, keys, genesis, client directory, cluster name, bind address and port are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link JGroupsTransport}; TLS is on unless explicitly turned off. */
    public static final class Builder {
        private Integer id;
        private NodeKeys keys;
        private ClusterConfig genesis;
        private ClientDirectory clients;
        private String clusterName;
        private String bindAddress;
        private int bindPort = -1;
        private String initialHosts;
        private Path stackFile;
        private InetSocketAddress advertised;
        private boolean tls = true;
        private Duration handshakeTimeout = Duration.ofSeconds(2);

        private Builder() {
        }

        /** This node's id: a replica of the genesis configuration or a client of the directory. */
        public Builder id(int id) {
            this.id = id;
            return this;
        }

        /** This node's private keys (they sign hellos and authenticate TLS). */
        public Builder keys(NodeKeys keys) {
            this.keys = keys;
            return this;
        }

        /** The genesis configuration: replica keys and addresses (discovery, TLS trust, address ownership). */
        public Builder genesis(ClusterConfig genesis) {
            this.genesis = genesis;
            return this;
        }

        /** The client directory: the keys of clients allowed to connect. */
        public Builder clients(ClientDirectory clients) {
            this.clients = clients;
            return this;
        }

        /** JGroups cluster name (one per network). */
        public Builder clusterName(String clusterName) {
            this.clusterName = clusterName;
            return this;
        }

        /** Address and port to listen on (the port is fixed: TCPPING discovery needs known ports). */
        public Builder bind(String address, int port) {
            this.bindAddress = address;
            this.bindPort = port;
            return this;
        }

        /** TCPPING's initial hosts ({@code host[port],...}); defaults to the genesis replicas' addresses. */
        public Builder initialHosts(String initialHosts) {
            this.initialHosts = initialHosts;
            return this;
        }

        /** A JGroups stack file with the ${bind_addr}, ${bind_port}, ${initial_hosts} placeholders; null for the built-in one. */
        public Builder stackFile(Path stackFile) {
            this.stackFile = stackFile;
            return this;
        }

        /** The address other nodes reach this node at, when it differs from the bind address (NAT, port forwarding). */
        public Builder advertise(String host, int port) {
            this.advertised = new InetSocketAddress(host, port);
            return this;
        }

        /** Whether links use TLS (default true); {@code tls(false)} is an explicit opt-out, e.g. behind a VPN. */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** Longest time a TLS handshake with a peer may take (default 2 s). */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Validates the settings and builds the transport (not yet started). */
        public JGroupsTransport build() {
            require(id != null && id >= 0, "a node id >= 0");
            require(keys != null, "the node's keys");
            require(genesis != null, "the genesis configuration");
            require(clients != null, "the client directory");
            require(clusterName != null && !clusterName.isBlank()
                    && clusterName.getBytes(StandardCharsets.UTF_8).length <= 255, "a cluster name of 1-255 bytes");
            require(bindAddress != null && !bindAddress.isBlank(), "a bind address");
            require(bindPort > 0 && bindPort <= 65535, "a bind port in 1..65535");
            require(advertised == null || !advertised.isUnresolved(), "a resolvable advertised address");
            PublicKeys published = new KeyDirectory(genesis, clients).keys(id);
            if (published == null) {
                throw new IllegalArgumentException("node " + id + " is neither a genesis replica nor a client of the directory");
            }
            if (!published.equals(keys.publicKeys())) {
                throw new IllegalArgumentException("the keys given for node " + id + " are not its published keys");
            }
            return new JGroupsTransport(this);
        }

        private static void require(boolean ok, String what) {
            if (!ok) {
                throw new IllegalArgumentException("JGroupsTransport needs " + what);
            }
        }
    }

    /** TCPPING's initial hosts for the replicas of a genesis configuration. */
    public static String initialHosts(ClusterConfig config) {
        return config.replicas().stream().map(r -> r.host() + "[" + r.port() + "]").collect(Collectors.joining(","));
    }

    private static String readStack(Path stackFile) {
        try {
            if (stackFile != null) {
                return Files.readString(stackFile, StandardCharsets.UTF_8);
            }
            try (InputStream in = JGroupsTransport.class.getResourceAsStream(DEFAULT_STACK)) {
                if (in == null) {
                    throw new IllegalStateException("built-in JGroups stack " + DEFAULT_STACK + " missing");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JGroups stack " + stackFile, e);
        }
    }

    @Override
    public void setReceiver(Transport.Receiver receiver) {
        this.receiver = receiver;
    }

    @Override
    public void start() throws Exception {
        long incarnation = System.currentTimeMillis();
        UUID address = Hello.addressOf(clusterName, self, incarnation);
        JChannel ch = new JChannel(new ByteArrayInputStream(stackXml.getBytes(StandardCharsets.UTF_8)));
        try {
            ch.name(NAME_PREFIX + self);
            ch.addAddressGenerator(() -> address);
            ch.setDiscardOwnMessages(true);
            TP transport = ch.getProtocolStack().getTransport();
            if (advertised != null) {
                transport.setExternalAddr(advertised.getAddress());
                transport.setExternalPort(advertised.getPort());
            }
            if (tls != null) {
                if (!(transport instanceof TCP tcp)) {
                    throw new IllegalStateException("TLS needs JGroups' TCP transport; the stack uses " + transport.getName());
                }
                if (tcp.tls().enabled()) {
                    throw new IllegalStateException("the stack turns on JGroups' own TLS; this transport brings its own "
                            + "(genesis keys): remove the tls.* attributes of TCP");
                }
                tcp.setSocketFactory(tls.socketFactory(owners));
            }
            PhysicalAddressGuard g = new PhysicalAddressGuard(this::signedPhysical);
            g.setProtocolStack(ch.getProtocolStack());
            ch.getProtocolStack().insertProtocolInStack(g, transport, ProtocolStack.Position.ABOVE);
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ehr-hello-" + self);
                t.setDaemon(true);
                return t;
            });
            helloTimer = timer;
            ch.setReceiver(new org.jgroups.Receiver() {
                @Override
                public void receive(Message msg) {
                    onMessage(msg);
                }

                @Override
                public void viewAccepted(View view) {
                    onView(view);
                }
            });
            channel = ch;
            ch.connect(clusterName);
            if (!address.equals(ch.getAddress())) {
                throw new IllegalStateException("the stack replaced the JGroups address derived for node " + self);
            }
            helloAsking = hello(ch, incarnation, true);
            helloAnswering = hello(ch, incarnation, false);
            timer.scheduleWithFixedDelay(this::helloRound, 0, HELLO_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
            LOG.fine(() -> "node " + self + " joined " + clusterName + " as " + show(address) + (tls != null ? " over TLS" : ""));
        } catch (Exception | Error e) {
            close();
            ch.close();
            throw e;
        }
    }

    private byte[] hello(JChannel ch, long incarnation, boolean asking) {
        PhysicalAddress physical = (PhysicalAddress) ch.down(new Event(Event.GET_PHYSICAL_ADDRESS, ch.getAddress()));
        if (!(physical instanceof IpAddress ip) || ip.getIpAddress() == null) {
            throw new IllegalStateException("JGroups has no TCP address for node " + self);
        }
        if (ip.getIpAddress().isAnyLocalAddress()) {
            throw new IllegalStateException("node " + self + " would announce the wildcard address " + ip
                    + ": bind to a specific address or advertise the one other nodes reach");
        }
        return Hello.signed(signer, clusterName, (UUID) ch.getAddress(),
                new InetSocketAddress(ip.getIpAddress(), ip.getPort()), incarnation, asking).encode();
    }

    private PhysicalAddress signedPhysical(Address address) {
        Binding b = byAddress.get(address);
        return b == null ? null : b.physical();
    }

    /** Handles one JGroups message: a hello, or a PBFT frame from the node bound to its source. */
    void onMessage(Message msg) {
        byte[] frame = msg.getArray();
        if (frame == null) {
            return;
        }
        if (msg.getOffset() != 0 || msg.getLength() != frame.length) {
            frame = Arrays.copyOfRange(frame, msg.getOffset(), msg.getOffset() + msg.getLength());
        }
        Address src = msg.getSrc();
        if (Hello.isHello(frame)) {
            onHello(frame, src);
            return;
        }
        int claimed = Envelope.claimedSender(frame);
        Binding b = bindings.get(claimed);
        if (b == null || !b.address().equals(src)) {
            droppedFrames.incrementAndGet();
            LOG.fine(() -> "node " + self + ": dropped a frame claiming node " + claimed + " from " + show(src)
                    + (b == null ? " (node not bound)" : " (node " + claimed + " is at " + show(b.address()) + ")"));
            return;
        }
        lastHeard.put(claimed, System.currentTimeMillis());
        Transport.Receiver r = receiver;
        if (r != null) {
            r.receive(frame);
        }
    }

    private void onHello(byte[] frame, Address src) {
        Hello h;
        try {
            h = Hello.decode(frame);
        } catch (MalformedMessageException e) {
            rejectHello(src, "malformed hello: " + e.getMessage());
            return;
        }
        if (!clusterName.equals(h.cluster()) || h.node() == self) {
            rejectHello(src, h + " is not for this node");
            return;
        }
        PublicKeys keys = directory.keys(h.node());
        if (keys == null) {
            rejectHello(src, h + " names an unknown node");
            return;
        }
        if (!h.address().equals(src)) {
            rejectHello(src, h + " arrived from another address");
            return;
        }
        if (!h.addressIsDerived()) {
            rejectHello(src, h + " names an address not derived from its id and incarnation");
            return;
        }
        Binding current = bindings.get(h.node());
        if (current != null && h.incarnation() < current.incarnation()) {
            rejectHello(src, h + " is older than the bound incarnation " + current.incarnation());
            return;
        }
        if (current == null || h.incarnation() > current.incarnation()) {
            // The id, incarnation and address agree with a binding already verified otherwise, so only new ones
            // cost a signature check.
            if (!h.verify(keys)) {
                rejectHello(src, h + " has a bad signature");
                return;
            }
            bind(new Binding(h.node(), h.address(), new IpAddress(h.physical()), h.incarnation()));
        }
        lastHeard.put(h.node(), System.currentTimeMillis());
        if (h.wantsAnswer()) {
            answer(h.node(), h.address());
        }
    }

    private void bind(Binding b) {
        Binding[] replaced = {null};
        boolean[] bound = {false};
        bindings.compute(b.id(), (id, old) -> {
            if (old != null && old.incarnation() >= b.incarnation()) {
                return old;
            }
            if (old != null) {
                byAddress.remove(old.address(), old);
            }
            byAddress.put(b.address(), b);
            replaced[0] = old;
            bound[0] = true;
            return b;
        });
        if (!bound[0]) {
            return;
        }
        pushPhysical(b);
        if (replaced[0] == null) {
            LOG.fine(() -> "node " + self + ": node " + b.id() + " is at " + show(b.address()) + " / " + b.physical());
        } else {
            LOG.info(() -> "node " + self + ": node " + b.id() + " restarted, now at " + show(b.address()) + " / "
                    + b.physical());
        }
    }

    private void rejectHello(Address src, String why) {
        rejectedHellos.incrementAndGet();
        LOG.fine(() -> "node " + self + ": rejected a hello from " + show(src) + ": " + why);
    }

    /** An address as its raw UUID: JGroups prints logical names, which any member may choose. */
    private static String show(Address a) {
        return a instanceof UUID u ? u.toStringLong() : String.valueOf(a);
    }

    /** Writes a bound TCP address into JGroups' address cache, below the guard. */
    private void pushPhysical(Binding b) {
        JChannel ch = channel();
        if (ch != null) {
            ch.getProtocolStack().getTransport().addPhysicalAddressToCache(b.address(), b.physical());
        }
    }

    private void answer(int node, Address to) {
        long now = System.currentTimeMillis();
        Long last = lastAnswer.get(node);
        if (last != null && now - last < ANSWER_INTERVAL_MILLIS) {
            return;
        }
        lastAnswer.put(node, now);
        ScheduledExecutorService timer = helloTimer;
        if (timer != null) {
            try {
                timer.execute(() -> sendHello(to, false));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void onView(View view) {
        // JGroups marks the TCP addresses of members that left for removal from its cache; bound nodes stay
        // routable whatever the view says.
        bindings.values().forEach(this::pushPhysical);
        helloRoundsLeft.set(HELLO_ROUNDS);
        helloTicks.set(0);
        ScheduledExecutorService timer = helloTimer;
        if (timer != null && channel != null && channel.isConnected()) {
            try {
                timer.execute(this::helloRound);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
        LOG.fine(() -> "node " + self + " sees view " + view);
    }

    /**
     * Sends hellos to members whose hello has not been seen ({@value #HELLO_ROUNDS} rounds per view change), and to
     * replicas that are unbound or outside the view (the same, then every {@value #IDLE_HELLO_EVERY} intervals:
     * their answers keep a replica that a faulty view leaves out within reach, see {@link #HEARD_WINDOW_MILLIS}).
     */
    private void helloRound() {
        try {
            JChannel ch = channel();
            if (ch == null || !ch.isConnected() || helloAsking == null) {
                return;
            }
            boolean active = helloRoundsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            if (!active && helloTicks.incrementAndGet() % IDLE_HELLO_EVERY != 0) {
                return;
            }
            View view = ch.getView();
            if (active && view != null) {
                for (Address member : view.getMembers()) {
                    if (!member.equals(ch.getAddress()) && !byAddress.containsKey(member)) {
                        sendHello(member, true);
                    }
                }
            }
            // Straight to the replicas' genesis addresses as well: JGroups' address cache may have been fed lies
            // before any hello was seen, and a genesis address leads (over TLS) only to its replica.
            for (var e : replicaAddresses.entrySet()) {
                Binding b = bindings.get(e.getKey());
                if (e.getKey() != self && (b == null || view == null || !view.containsMember(b.address()))) {
                    sendHello(e.getValue(), true);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "hello round failed", e);
        }
    }

    private void sendHello(Address to, boolean asking) {
        JChannel ch = channel();
        byte[] frame = asking ? helloAsking : helloAnswering;
        if (ch == null || frame == null || !ch.isConnected()) {
            return;
        }
        Message m = new BytesMessage(to, frame);
        if (to instanceof PhysicalAddress) {
            // No JGroups connection state exists for a TCP address: send it once, unreliably, without flow control.
            m.setFlag(Message.Flag.NO_RELIABILITY, Message.Flag.NO_FC, Message.Flag.OOB, Message.Flag.DONT_BUNDLE);
        }
        try {
            ch.send(m);
        } catch (Exception e) {
            LOG.fine(() -> "node " + self + ": hello to " + show(to) + " failed: " + e);
        }
    }

    @Override
    public void send(int destination, byte[] frame) {
        Address to = boundAddress(destination);
        JChannel ch = channel();
        if (to == null || ch == null || !ch.isConnected() || !sendable(ch, destination, to)) {
            unroutable.incrementAndGet();
            return;
        }
        try {
            ch.send(new BytesMessage(to, frame).setFlag(PBFT_FLAGS));
        } catch (Exception e) {
            unroutable.incrementAndGet();
        }
    }

    private boolean sendable(JChannel ch, int destination, Address to) {
        View view = ch.getView();
        if (view != null && view.containsMember(to)) {
            return true;
        }
        Long heard = lastHeard.get(destination);
        return heard != null && System.currentTimeMillis() - heard < HEARD_WINDOW_MILLIS;
    }

    /** This node and the ids bound by a verified hello whose JGroups address is in the current view. */
    public Set<Integer> reachable() {
        JChannel ch = channel();
        View view = ch == null ? null : ch.getView();
        if (view == null) {
            return Set.of();
        }
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(self), bindings.values().stream()
                .filter(b -> view.containsMember(b.address())).map(Binding::id))
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * The JGroups address bound to a node id by a verified hello, or null: where {@link #send} routes frames to
     * that node. The transport's security tests sample it under attack (a forged or replayed hello, poisoned
     * discovery data, churning members); where frames end up shows it only after the fact, and PBFT hides a lost one.
     */
    Address boundAddress(int id) {
        Binding b = bindings.get(id);
        return b == null ? null : b.address();
    }

    /** What the links turned away since the transport was built (for the replica's status). */
    public LinkStatus links() {
        LinkTls t = tls;
        return new LinkStatus(t != null, unroutable.get(), rejectedHellos.get(), droppedFrames.get(),
                t == null ? 0 : t.rejectedPeers(), t == null ? 0 : t.failedHandshakes(),
                t == null ? 0 : t.refusedAddresses(), t == null ? 0 : t.overflowedLinks());
    }

    /** The JGroups channel, null before {@link #start()} and after {@link #close()}. */
    JChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        ScheduledExecutorService timer = helloTimer;
        helloTimer = null;
        if (timer != null) {
            timer.shutdownNow();
        }
        JChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
    }
}

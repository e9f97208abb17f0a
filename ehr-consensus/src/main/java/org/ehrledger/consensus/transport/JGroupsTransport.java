package org.ehrledger.consensus.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.message.Envelope;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.util.NameCache;

/**
 * PBFT frames over a JGroups channel. Every node (replica or client) joins one cluster under the
 * logical name {@code ehr-<id>}; frames go point to point to the member with that name. Replicas
 * listen on the fixed addresses of the genesis configuration, which TCPPING uses for discovery, so
 * nothing depends on multicast. The stack is loaded through this library's class loader.
 */
public final class JGroupsTransport implements Transport {

    private static final Logger LOG = Logger.getLogger(JGroupsTransport.class.getName());
    private static final String DEFAULT_STACK = "/org/ehrledger/consensus/transport/jgroups-pbft.xml";
    private static final String NAME_PREFIX = "ehr-";

    private final int self;
    private final String clusterName;
    private final String stackXml;
    private final Map<Integer, Address> addresses = new ConcurrentHashMap<>();
    private final AtomicLong unroutable = new AtomicLong();
    private volatile Transport.Receiver receiver;
    private JChannel channel;

    /**
     * @param self        this node's id
     * @param clusterName JGroups cluster name (one per network)
     * @param bindAddress address to listen on
     * @param bindPort    port to listen on (fixed: TCPPING discovery needs known ports)
     * @param config      genesis configuration, whose replica addresses seed discovery
     * @param stackFile   a JGroups stack file with the same placeholders, or null for the built-in one
     */
    public JGroupsTransport(int self, String clusterName, String bindAddress, int bindPort, ClusterConfig config,
                            Path stackFile) {
        this(self, clusterName, bindAddress, bindPort, initialHosts(config), stackFile);
    }

    /**
     * As above, with discovery seeded by {@code initialHosts} in JGroups form ({@code host[port],...}),
     * for deployments whose replicas are reached through other addresses than the genesis file names.
     */
    public JGroupsTransport(int self, String clusterName, String bindAddress, int bindPort, String initialHosts,
                            Path stackFile) {
        this.self = self;
        this.clusterName = clusterName;
        String template = readStack(stackFile);
        this.stackXml = template.replace("${bind_addr}", bindAddress).replace("${bind_port}", Integer.toString(bindPort))
                .replace("${initial_hosts}", initialHosts);
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
        channel = new JChannel(new ByteArrayInputStream(stackXml.getBytes(StandardCharsets.UTF_8)));
        channel.name(NAME_PREFIX + self);
        channel.setDiscardOwnMessages(true);
        channel.setReceiver(new org.jgroups.Receiver() {
            @Override
            public void receive(Message msg) {
                Transport.Receiver r = receiver;
                if (r == null) {
                    return;
                }
                byte[] frame = msg.getArray();
                if (msg.getOffset() != 0 || msg.getLength() != frame.length) {
                    frame = java.util.Arrays.copyOfRange(frame, msg.getOffset(), msg.getOffset() + msg.getLength());
                }
                int claimed = Envelope.claimedSender(frame);
                if (claimed >= 0 && msg.getSrc() != null) {
                    addresses.putIfAbsent(claimed, msg.getSrc());
                }
                r.receive(frame);
            }

            @Override
            public void viewAccepted(View view) {
                for (Address a : view.getMembers()) {
                    Integer id = idOf(a);
                    if (id != null) {
                        addresses.put(id, a);
                    }
                }
                addresses.values().removeIf(a -> !view.containsMember(a));
                LOG.fine(() -> "node " + self + " sees view " + view);
            }
        });
        channel.connect(clusterName);
    }

    private static Integer idOf(Address a) {
        String name = NameCache.get(a);
        if (name == null || !name.startsWith(NAME_PREFIX)) {
            return null;
        }
        try {
            return Integer.parseInt(name.substring(NAME_PREFIX.length()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void send(int destination, byte[] frame) {
        Address a = addresses.get(destination);
        JChannel ch = channel;
        if (a == null || ch == null || !ch.isConnected()) {
            unroutable.incrementAndGet();
            return;
        }
        try {
            ch.send(new BytesMessage(a, frame));
        } catch (Exception e) {
            unroutable.incrementAndGet();
        }
    }

    /** Number of members (replicas and clients) currently in the JGroups view. */
    public int viewSize() {
        JChannel ch = channel;
        return ch == null || ch.getView() == null ? 0 : ch.getView().size();
    }

    /** Ids of the nodes currently reachable. */
    public java.util.Set<Integer> reachable() {
        return java.util.Set.copyOf(addresses.keySet());
    }

    /** Frames that could not be routed (unknown destination or closed channel). */
    public long unroutable() {
        return unroutable.get();
    }

    @Override
    public void close() {
        JChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
    }
}

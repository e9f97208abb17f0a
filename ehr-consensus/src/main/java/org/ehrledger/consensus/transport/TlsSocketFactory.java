package org.ehrledger.consensus.transport;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLProtocolException;
import javax.net.ssl.SSLSocket;

import org.jgroups.blocks.cs.Connection;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.DefaultSocketFactory;
import org.jgroups.util.SocketFactory;
import org.jgroups.util.Util;

/**
 * The JGroups socket factory of {@link LinkTls}: every TCP connection JGroups opens or accepts is TLS 1.3 with
 * genesis-pinned certificates, and two things JGroups' own TLS support does not do are done here.
 *
 * <p><b>Bounded handshakes, writes that never block.</b> JGroups starts a TLS handshake without a timeout while it
 * holds the lock that every new connection of the node needs, handshakes accepted connections on its single
 * acceptor thread, and writes to every connection from one bundler thread; one silent peer would stall all
 * connection set-up and all sending. Here a connecting socket ({@link LinkSocket}) handshakes on its own writer
 * thread under a deadline and queues writes (bounded) for that thread, and a listening socket hands each accepted
 * connection to a small pool that handshakes under the same deadline and queues only finished ones for JGroups'
 * acceptor.
 *
 * <p><b>Addresses bound to node ids.</b> JGroups files a connection under the TCP address the peer claims in
 * its greeting (cookie, version, address), and sends everything for that address over it. An accepted
 * connection is therefore handed to JGroups only if its authenticated node owns the claimed address
 * ({@link AddressOwners}): a replica's genesis address belongs to that replica, any other address to the node
 * this node finds listening there when it connects back to it (a short "probe" handshake). A connection this
 * node opens to a replica's genesis address must be answered by that replica.
 */
final class TlsSocketFactory implements SocketFactory {

    private static final Logger LOG = Logger.getLogger(TlsSocketFactory.class.getName());
    /** First bytes a probe sends after its handshake instead of JGroups' cookie. */
    private static final byte[] PROBE = "EHR?".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_CONCURRENT_HANDSHAKES = 16;
    private static final int MAX_ADDRESS_BYTES = 64;
    private static final ScheduledThreadPoolExecutor WATCHDOG = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "ehr-tls-watchdog");
        t.setDaemon(true);
        return t;
    });

    static {
        WATCHDOG.setRemoveOnCancelPolicy(true);
    }

    private static final long FIRST_BACKOFF_MILLIS = 1_000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    /**
     * Handshake deadline towards an address that already let one time out: a paused process's kernel still
     * accepts the TCP connection, and JGroups holds its connection lock (and so all sending) while we wait.
     */
    private static final int RETRY_HANDSHAKE_MILLIS = 250;
    private static final int MAX_SILENT_ADDRESSES = 1_024;

    private final LinkTls tls;
    private final AddressOwners owners;
    private final DefaultSocketFactory plain = new DefaultSocketFactory();
    /**
     * Addresses that recently let a connection time out. JGroups connects on its sending thread, so every attempt
     * on a paused peer would stall all sending for the timeout; until the back-off ends, connecting there fails
     * at once instead (the frames are dropped, which the protocol tolerates).
     */
    private final java.util.Map<InetSocketAddress, Silence> silent = new java.util.concurrent.ConcurrentHashMap<>();

    private record Silence(long until, long backoff) {
    }

    TlsSocketFactory(LinkTls tls, AddressOwners owners) {
        this.tls = tls;
        this.owners = owners;
    }

    @FunctionalInterface
    private interface IoCall<T> {
        T call() throws IOException;
    }

    /** Runs socket work that must end within the handshake timeout: the watchdog closes the socket otherwise. */
    private <T> T withDeadline(Socket raw, int timeoutMillis, IoCall<T> work) throws IOException {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> dog = WATCHDOG.schedule(() -> {
            fired.set(true);
            closeQuietly(raw);
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            T result = work.call();
            dog.cancel(false);
            if (fired.get()) {
                throw new SocketTimeoutException("TLS set-up took longer than " + timeoutMillis + " ms");
            }
            return result;
        } catch (IOException e) {
            if (fired.get()) {
                throw new SocketTimeoutException("TLS set-up took longer than " + timeoutMillis + " ms");
            }
            throw e;
        } finally {
            dog.cancel(false);
        }
    }

    private SSLSocket clientHandshake(Socket raw, InetSocketAddress remote, int timeoutMillis) throws IOException {
        raw.setSoTimeout(timeoutMillis);
        SSLSocket s = (SSLSocket) tls.context().getSocketFactory()
                .createSocket(raw, remote.getHostString(), remote.getPort(), true);
        s.setUseClientMode(true);
        s.setSSLParameters(tls.clientParameters());
        s.startHandshake();
        return s;
    }

    /** Fails at once if the address let a connection time out and its back-off has not ended. */
    void checkNotSilent(InetSocketAddress remote) throws SocketTimeoutException {
        Silence s = silent.get(remote);
        if (s != null && System.currentTimeMillis() < s.until()) {
            throw new SocketTimeoutException(remote + " did not answer in time recently (back-off " + s.backoff() + " ms)");
        }
    }

    /** Starts or doubles the back-off of an address that let a connection time out. */
    void timedOut(InetSocketAddress remote) {
        long now = System.currentTimeMillis();
        if (silent.size() >= MAX_SILENT_ADDRESSES) {
            silent.values().removeIf(s -> s.until() < now);
        }
        Silence s = silent.compute(remote, (k, old) -> {
            long backoff = old == null ? FIRST_BACKOFF_MILLIS : Math.min(MAX_BACKOFF_MILLIS, old.backoff() * 2);
            return new Silence(now + backoff, backoff);
        });
        LOG.fine(() -> "node " + tls.self() + ": " + remote + " timed out; no new connection for " + s.backoff() + " ms");
    }

    /** A link to the address works again: no back-off for it. */
    void answered(InetSocketAddress remote) {
        silent.remove(remote);
    }

    /** A link was closed because its peer left too much unread ({@link LinkSocket#MAX_QUEUED_BYTES}). */
    void overflowed() {
        tls.linkOverflowed();
    }

    /**
     * Opens the TLS session of an outgoing JGroups connection, checking who answers at the address; on success the
     * address's back-off ends.
     */
    SSLSocket connectTls(Socket raw, InetSocketAddress remote) throws IOException {
        int timeout = silent.containsKey(remote) ? Math.min(RETRY_HANDSHAKE_MILLIS, tls.handshakeTimeoutMillis())
                : tls.handshakeTimeoutMillis();
        try {
            return withDeadline(raw, timeout, () -> {
                SSLSocket s = clientHandshake(raw, remote, timeout);
                int peer = LinkTls.peerId(s.getSession());
                Integer replica = owners.genesisOwner(remote);
                if (replica != null && replica != peer) {
                    tls.addressRefused();
                    throw new SSLPeerUnverifiedException("node " + peer + " answered at the address of replica " + replica);
                }
                owners.found(remote, peer);
                raw.setSoTimeout(0);
                answered(remote);
                return s;
            });
        } catch (SocketTimeoutException e) {
            tls.handshakeFailed();
            timedOut(remote);
            LOG.fine(() -> "node " + tls.self() + ": TLS connection to " + remote + " failed: " + e);
            throw e;
        } catch (IOException | RuntimeException e) {
            tls.handshakeFailed();
            LOG.fine(() -> "node " + tls.self() + ": TLS connection to " + remote + " failed: " + e);
            throw e;
        }
    }

    /**
     * Handshakes an accepted connection and reads JGroups' greeting; null if the connection was a probe or is
     * refused. The greeting is replayed to JGroups by the returned socket.
     */
    Socket acceptTls(Socket raw) {
        int timeout = tls.handshakeTimeoutMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        try {
            return withDeadline(raw, timeout, () -> {
                raw.setSoTimeout(timeout);
                SSLSocket s = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, null, true);
                s.setSSLParameters(tls.serverParameters());
                s.startHandshake();
                int peer = LinkTls.peerId(s.getSession());
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] head = new byte[Connection.cookie.length + 4];
                in.readFully(head, 0, Connection.cookie.length);
                if (Arrays.equals(Arrays.copyOf(head, PROBE.length), PROBE)) {
                    closeQuietly(raw);
                    return null;
                }
                if (!Arrays.equals(Arrays.copyOf(head, Connection.cookie.length), Connection.cookie)) {
                    throw new SSLProtocolException("not a JGroups connection");
                }
                in.readFully(head, Connection.cookie.length, 4);
                int size = ((head[head.length - 2] & 0xff) << 8) | (head[head.length - 1] & 0xff);
                if (size < 3 || size > MAX_ADDRESS_BYTES) {
                    throw new SSLProtocolException("peer address of " + size + " bytes");
                }
                byte[] address = new byte[size];
                in.readFully(address);
                IpAddress claimed = new IpAddress();
                claimed.readFrom(new DataInputStream(new ByteArrayInputStream(address)));
                if (claimed.getIpAddress() == null) {
                    throw new SSLProtocolException("peer address without IP");
                }
                InetSocketAddress claim = new InetSocketAddress(claimed.getIpAddress(), claimed.getPort());
                if (!mayClaim(peer, claim, deadline)) {
                    tls.addressRefused();
                    LOG.fine(() -> "node " + tls.self() + ": refused node " + peer + " claiming " + claim
                            + ", where another node listens");
                    closeQuietly(raw);
                    return null;
                }
                raw.setSoTimeout(0);
                byte[] greeting = Arrays.copyOf(head, head.length + size);
                System.arraycopy(address, 0, greeting, head.length, size);
                return new LinkSocket(this, raw, s, greeting);
            });
        } catch (IOException | RuntimeException e) {
            tls.handshakeFailed();
            LOG.fine(() -> "node " + tls.self() + ": TLS handshake with " + raw.getRemoteSocketAddress() + " failed: " + e);
            closeQuietly(raw);
            return null;
        }
    }

    /** Whether {@code peer} may file its connection under {@code claim}: it owns it, or is found listening there. */
    private boolean mayClaim(int peer, InetSocketAddress claim, long deadlineNanos) {
        Integer replica = owners.genesisOwner(claim);
        if (replica != null) {
            return replica == peer;
        }
        if (owners.owns(peer, claim)) {
            return true;
        }
        int left = (int) TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) {
            return false;
        }
        int found = probe(claim, left);
        if (found >= 0) {
            owners.found(claim, found);
        }
        return found == peer;
    }

    /** Connects to an address and returns the authenticated node that answers there, or -1. */
    private int probe(InetSocketAddress address, int timeoutMillis) {
        Socket raw = new Socket();
        try {
            return withDeadline(raw, timeoutMillis, () -> {
                raw.connect(address, timeoutMillis);
                SSLSocket s = clientHandshake(raw, address, timeoutMillis);
                int peer = LinkTls.peerId(s.getSession());
                OutputStream out = s.getOutputStream();
                out.write(PROBE);
                out.flush();
                return peer;
            });
        } catch (IOException | RuntimeException e) {
            LOG.fine(() -> "node " + tls.self() + ": nobody authenticated answers at " + address + ": " + e);
            return -1;
        } finally {
            closeQuietly(raw);
        }
    }

    static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException | RuntimeException ignored) {
            // closing is best effort
        }
    }

    // ---- org.jgroups.util.SocketFactory

    @Override
    public Socket createSocket(String service) {
        return new LinkSocket(this);
    }

    @Override
    public Socket createSocket(String service, String host, int port) throws IOException {
        Socket s = new LinkSocket(this);
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(String service, InetAddress address, int port) throws IOException {
        Socket s = new LinkSocket(this);
        s.connect(new InetSocketAddress(address, port));
        return s;
    }

    @Override
    public Socket createSocket(String service, String host, int port, InetAddress localAddr, int localPort)
            throws IOException {
        Socket s = new LinkSocket(this);
        s.bind(new InetSocketAddress(localAddr, localPort));
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(String service, InetAddress address, int port, InetAddress localAddr, int localPort)
            throws IOException {
        Socket s = new LinkSocket(this);
        s.bind(new InetSocketAddress(localAddr, localPort));
        s.connect(new InetSocketAddress(address, port));
        return s;
    }

    @Override
    public ServerSocket createServerSocket(String service) throws IOException {
        return new LinkServerSocket(this);
    }

    @Override
    public ServerSocket createServerSocket(String service, int port) throws IOException {
        return createServerSocket(service, port, 50, null);
    }

    @Override
    public ServerSocket createServerSocket(String service, int port, int backlog) throws IOException {
        return createServerSocket(service, port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(String service, int port, int backlog, InetAddress bindAddr)
            throws IOException {
        ServerSocket s = new LinkServerSocket(this);
        s.bind(new InetSocketAddress(bindAddr, port), backlog);
        return s;
    }

    // Datagram and multicast sockets carry no PBFT traffic in the TCP stack (TCPPING, no multicast); JGroups only
    // asks for them for optional diagnostics, which stay plain.

    @Override
    public DatagramSocket createDatagramSocket(String service) throws SocketException {
        return plain.createDatagramSocket(service);
    }

    @Override
    public DatagramSocket createDatagramSocket(String service, SocketAddress bindaddr) throws SocketException {
        return plain.createDatagramSocket(service, bindaddr);
    }

    @Override
    public DatagramSocket createDatagramSocket(String service, int port) throws SocketException {
        return plain.createDatagramSocket(service, port);
    }

    @Override
    public DatagramSocket createDatagramSocket(String service, int port, InetAddress laddr) throws SocketException {
        return plain.createDatagramSocket(service, port, laddr);
    }

    @Override
    public MulticastSocket createMulticastSocket(String service) throws IOException {
        return plain.createMulticastSocket(service);
    }

    @Override
    public MulticastSocket createMulticastSocket(String service, int port) throws IOException {
        return plain.createMulticastSocket(service, port);
    }

    @Override
    public MulticastSocket createMulticastSocket(String service, SocketAddress bindaddr) throws IOException {
        return plain.createMulticastSocket(service, bindaddr);
    }

    @Override
    public void close(Socket sock) {
        closeQuietly(sock);
    }

    @Override
    public void close(ServerSocket sock) {
        closeQuietly(sock);
    }

    @Override
    public void close(DatagramSocket sock) {
        Util.close(sock);
    }

    /**
     * A listening socket that hands JGroups only connections whose TLS handshake, greeting and address check are
     * done; they are done on a small pool, so a silent or slow peer holds one pool thread for at most the
     * handshake timeout and never JGroups' acceptor.
     */
    static final class LinkServerSocket extends ServerSocket {
        private static final AtomicInteger POOLS = new AtomicInteger();
        private final TlsSocketFactory factory;
        private final BlockingQueue<Socket> ready = new LinkedBlockingQueue<>();
        private ThreadPoolExecutor handshakes;
        private Thread acceptor;

        LinkServerSocket(TlsSocketFactory factory) throws IOException {
            this.factory = factory;
        }

        @Override
        public Socket accept() throws IOException {
            start();
            try {
                while (true) {
                    if (isClosed()) {
                        throw new SocketException("Socket is closed");
                    }
                    Socket s = ready.poll(100, TimeUnit.MILLISECONDS);
                    if (s != null) {
                        return s;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("accept interrupted");
            }
        }

        private synchronized void start() throws SocketException {
            if (acceptor != null) {
                return;
            }
            if (!isBound()) {
                throw new SocketException("Socket is not bound yet");
            }
            int pool = POOLS.incrementAndGet();
            AtomicInteger threads = new AtomicInteger();
            handshakes = new ThreadPoolExecutor(0, MAX_CONCURRENT_HANDSHAKES, 30, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), r -> {
                        Thread t = new Thread(r, "ehr-tls-handshake-" + pool + "-" + threads.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            acceptor = new Thread(this::acceptLoop, "ehr-tls-accept-" + getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptLoop() {
            while (!isClosed()) {
                Socket raw;
                try {
                    raw = super.accept();
                } catch (IOException e) {
                    if (isClosed()) {
                        return;
                    }
                    LOG.fine(() -> "accept failed: " + e);
                    sleepBriefly();
                    continue;
                }
                try {
                    handshakes.execute(() -> {
                        Socket s = factory.acceptTls(raw);
                        if (s != null && (isClosed() || !ready.offer(s))) {
                            closeQuietly(s);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // All handshake threads are busy (a flood of connections): drop this one, the peer retries.
                    factory.tls.handshakeFailed();
                    closeQuietly(raw);
                }
            }
        }

        private static void sleepBriefly() {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws IOException {
            super.close();
            synchronized (this) {
                if (handshakes != null) {
                    handshakes.shutdownNow();
                }
            }
            for (Socket s; (s = ready.poll()) != null; ) {
                closeQuietly(s);
            }
        }
    }
}

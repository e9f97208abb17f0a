package org.ehrledger.consensus.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import javax.net.ssl.SSLSocket;

/**
 * A TCP socket of {@link TlsSocketFactory} whose streams are those of a TLS session over it, and whose writes
 * do not wait for a peer that stops reading. Not an {@link SSLSocket}, so JGroups does not start an unbounded
 * handshake of its own.
 *
 * <p><b>Writes do not wait for a stuck peer.</b> JGroups writes to all of a node's connections from one bundler
 * thread: a peer that stops reading (a paused process, whose kernel keeps the connection open; a Byzantine node)
 * would fill the TCP window and block that thread, and with it every send of the node, until JGroups excluded the
 * peer. Here a write queues a copy of the bytes; one writer thread per connection encrypts and sends them. A
 * connection whose queue is full ({@link #MAX_QUEUED_BYTES}) while its peer took nothing for
 * {@link #STUCK_NANOS} is closed (what it had queued is lost, which PBFT recovers from by retransmission; JGroups
 * connects again on the next send).
 *
 * <p><b>The handshake of an outgoing connection runs on that writer thread</b>, under the handshake deadline, so
 * {@link #connect(SocketAddress, int)} (which JGroups calls on its sending thread, holding the lock every new
 * connection needs) returns once TCP is connected. Nothing queued is written, and nothing is read, before the
 * handshake has authenticated the node that answers at the address ({@link TlsSocketFactory#connectTls}).
 */
final class LinkSocket extends Socket {

    private static final Logger LOG = Logger.getLogger(LinkSocket.class.getName());
    /**
     * Bytes a connection queues for its peer beyond the kernel's socket buffers. More waits for the peer to read
     * (backpressure, as a blocking write would: a large state transfer to a healthy peer loses nothing), but only
     * while the peer takes bytes: one that took none for {@link #STUCK_NANOS} has its connection closed. A paused
     * peer is usually stuck long before the queue is full (its kernel's buffers filled first), so closing its
     * connection costs the sending thread nothing.
     */
    static final int MAX_QUEUED_BYTES = 16 << 20;
    /** How long a peer may take nothing from a full queue before its connection is closed. */
    static final long STUCK_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);
    /** Queued writes smaller than this are copied together, so that one TLS record carries many small sends. */
    private static final int COALESCE_BYTES = 64 << 10;
    private static final AtomicInteger WRITERS = new AtomicInteger();

    /** Opens the TLS session of the connection, on the writer thread; the socket is connected at TCP level. */
    @FunctionalInterface
    interface Session {
        SSLSocket open() throws IOException;
    }

    private final TlsSocketFactory factory;
    private final Socket raw;
    private final Outbox outbox = new Outbox();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final byte[] greeting;
    private volatile SSLSocket ssl;
    private volatile InputStream in;
    private volatile IOException failure;
    private volatile boolean started;

    /** An outgoing connection, not yet connected. */
    LinkSocket(TlsSocketFactory factory) {
        this.factory = factory;
        this.raw = new Socket();
        this.greeting = null;
    }

    /** An accepted connection whose handshake is done; {@code greeting} is replayed before the session's input. */
    LinkSocket(TlsSocketFactory factory, Socket raw, SSLSocket ssl, byte[] greeting) {
        this.factory = factory;
        this.raw = raw;
        this.greeting = greeting;
        start(() -> ssl);
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (!(endpoint instanceof InetSocketAddress remote) || remote.isUnresolved()) {
            throw new SocketException("cannot connect to " + endpoint);
        }
        if (started) {
            throw new SocketException("already connected");
        }
        factory.checkNotSilent(remote);
        try {
            raw.connect(endpoint, timeout);
        } catch (SocketTimeoutException e) {
            factory.timedOut(remote);
            TlsSocketFactory.closeQuietly(raw);
            throw e;
        } catch (IOException | RuntimeException e) {
            TlsSocketFactory.closeQuietly(raw);
            throw e;
        }
        start(() -> factory.connectTls(raw, remote));
    }

    private synchronized void start(Session session) {
        started = true;
        Thread t = new Thread(() -> run(session), "ehr-tls-writer-" + WRITERS.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /** The writer thread: opens the session, then sends what is queued until the connection closes. */
    private void run(Session session) {
        SSLSocket s = null;
        try {
            s = session.open();
            ssl = s;
            InputStream sessionIn = s.getInputStream();
            in = greeting == null ? sessionIn : new SequenceInputStream(new ByteArrayInputStream(greeting), sessionIn);
            ready.countDown();
            outbox.drainTo(s.getOutputStream());
        } catch (IOException | RuntimeException e) {
            fail(e instanceof IOException io ? io : new SocketException(e.toString()));
        } finally {
            ready.countDown();
            // The TCP socket first: SSLSocket.close() alone may wait for a write stuck on a peer that does not read.
            TlsSocketFactory.closeQuietly(raw);
            TlsSocketFactory.closeQuietly(s);
        }
    }

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
        }
        outbox.close();
        TlsSocketFactory.closeQuietly(raw);
    }

    private InputStream awaitSession() throws IOException {
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the TLS session");
        }
        InputStream i = in;
        if (i == null || raw.isClosed()) {
            IOException f = failure;
            throw f instanceof SocketException ? f : new SocketException("no TLS session" + (f == null ? "" : ": " + f));
        }
        return i;
    }

    /** Bytes written by JGroups and not yet handed to TLS. */
    long queuedBytes() {
        return outbox.queued();
    }

    @Override
    public InputStream getInputStream() throws IOException {
        if (!started) {
            throw new SocketException("not connected");
        }
        return new InputStream() {
            @Override
            public int read() throws IOException {
                return awaitSession().read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return awaitSession().read(b, off, len);
            }

            @Override
            public int available() throws IOException {
                InputStream i = in;
                return i == null ? 0 : i.available();
            }

            @Override
            public void close() {
                LinkSocket.this.close();
            }
        };
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        if (!started) {
            throw new SocketException("not connected");
        }
        return outbox;
    }

    @Override
    public void close() {
        fail(new SocketException("Socket closed"));
    }

    /**
     * The queue between JGroups' writes and the writer thread. JGroups buffers its writes (64 KiB) and flushes
     * after each bundle, so what arrives here is mostly whole bundles.
     */
    private final class Outbox extends OutputStream {
        private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
        private long queued;
        private boolean closed;
        /** When the writer last handed bytes to TLS (or the connection started). */
        private long lastProgress = System.nanoTime();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            SocketException overflow = null;
            synchronized (this) {
                while (true) {
                    if (closed) {
                        IOException f = failure;
                        throw f instanceof SocketException se ? se : new SocketException("Socket closed");
                    }
                    if (queued == 0 || queued + len <= MAX_QUEUED_BYTES) {
                        break;
                    }
                    long stuck = System.nanoTime() - lastProgress;
                    if (stuck >= STUCK_NANOS) {
                        overflow = new SocketException("the peer does not read: " + queued + " bytes queued for it, "
                                + "none taken for " + TimeUnit.NANOSECONDS.toMillis(stuck) + " ms");
                        break;
                    }
                    // The peer reads, only slower than this node produces (a state transfer, a burst): wait.
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, STUCK_NANOS - stuck);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted waiting for the link to " + raw.getRemoteSocketAddress());
                    }
                }
                if (overflow == null) {
                    if (queued == 0) {
                        lastProgress = System.nanoTime(); // an idle writer is not a stuck one
                    }
                    chunks.addLast(java.util.Arrays.copyOfRange(b, off, off + len));
                    queued += len;
                    notifyAll();
                    return;
                }
            }
            factory.overflowed();
            SocketException e = overflow;
            LOG.fine(() -> "closing the link to " + raw.getRemoteSocketAddress() + ": " + e.getMessage());
            fail(e);
            throw e;
        }

        @Override
        public void flush() {
            // the writer thread sends whatever is queued
        }

        @Override
        public synchronized void close() {
            closed = true;
            chunks.clear();
            queued = 0;
            notifyAll();
        }

        synchronized long queued() {
            return queued;
        }

        /** Sends queued bytes until closed; small chunks are copied together first. */
        void drainTo(OutputStream out) throws IOException {
            byte[] joined = new byte[COALESCE_BYTES];
            while (true) {
                byte[] first;
                int n = 0;
                byte[] single = null;
                synchronized (this) {
                    while (chunks.isEmpty() && !closed) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("writer interrupted");
                        }
                    }
                    if (closed) {
                        return;
                    }
                    first = chunks.pollFirst();
                    if (first.length >= COALESCE_BYTES || chunks.isEmpty()
                            || first.length + chunks.peekFirst().length > COALESCE_BYTES) {
                        single = first;
                    } else {
                        System.arraycopy(first, 0, joined, 0, first.length);
                        n = first.length;
                        while (!chunks.isEmpty() && n + chunks.peekFirst().length <= COALESCE_BYTES) {
                            byte[] next = chunks.pollFirst();
                            System.arraycopy(next, 0, joined, n, next.length);
                            n += next.length;
                        }
                    }
                }
                if (single != null) {
                    out.write(single);
                    n = single.length;
                } else {
                    out.write(joined, 0, n);
                }
                synchronized (this) {
                    queued -= n;
                    lastProgress = System.nanoTime();
                    notifyAll();
                }
            }
        }
    }

    // ---- the rest is the TCP socket's

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        raw.bind(bindpoint);
    }

    @Override
    public boolean isConnected() {
        return started && raw.isConnected() && !raw.isClosed();
    }

    @Override
    public boolean isBound() {
        return raw.isBound();
    }

    @Override
    public boolean isClosed() {
        return raw.isClosed();
    }

    @Override
    public boolean isInputShutdown() {
        return raw.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return raw.isOutputShutdown();
    }

    @Override
    public void shutdownInput() throws IOException {
        raw.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        raw.shutdownOutput();
    }

    @Override
    public InetAddress getInetAddress() {
        return raw.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return raw.getLocalAddress();
    }

    @Override
    public int getPort() {
        return raw.getPort();
    }

    @Override
    public int getLocalPort() {
        return raw.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return raw.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return raw.getLocalSocketAddress();
    }

    @Override
    public java.nio.channels.SocketChannel getChannel() {
        return null;
    }

    /**
     * Always on, whatever JGroups asks (its default is off): JGroups writes a bundle in one call, but TLS sends it as
     * records of at most 16 KiB, one socket write each, and with Nagle's algorithm each record after the first would
     * wait for the peer to acknowledge the one before. The writer thread already coalesces small writes.
     */
    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        raw.setTcpNoDelay(true);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return raw.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        raw.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return raw.getSoLinger();
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        throw new SocketException("no urgent data over TLS");
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        raw.setOOBInline(on);
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        return raw.getOOBInline();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        // While the handshake runs on an outgoing connection, its deadline owns the timeout.
        if (ssl != null || greeting != null) {
            raw.setSoTimeout(timeout);
        }
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return raw.getSoTimeout();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        raw.setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return raw.getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        raw.setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return raw.getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        raw.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return raw.getKeepAlive();
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        raw.setTrafficClass(tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return raw.getTrafficClass();
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        raw.setReuseAddress(on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return raw.getReuseAddress();
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        raw.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return raw.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return raw.supportedOptions();
    }

    @Override
    public String toString() {
        return "TLS" + raw;
    }
}

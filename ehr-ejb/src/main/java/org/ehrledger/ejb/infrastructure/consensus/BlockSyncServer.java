package org.ehrledger.ejb.infrastructure.consensus;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.ssl.SSLSocket;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.PeerTls;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.BlockSource;

/**
 * This replica's block sync listener: serves stored blocks to the other replicas of the network over mutual
 * TLS 1.3 ({@link PeerTls}, trusting exactly the genesis replica keys), nothing else and nobody else.
 *
 * <p>Bounded against a Byzantine replica or a stranger: at most {@value #MAX_CONNECTIONS} connections at once
 * (more are closed at once), {@value #MAX_PER_ADDRESS} from one network address, {@value #MAX_PER_PEER} per replica, each replica at most
 * {@value #REQUESTS_PER_SECOND} requests a second (beyond that it is answered {@link ErrorCode#BUSY}); a
 * connection lives at most {@link #CONNECTION_MILLIS} (handshake, one fixed-size request, one answer of at
 * most {@link BlockSync#MAX_ANSWER_BYTES}), and every read waits at most {@link BlockSync#IO_TIMEOUT_MILLIS}.
 */
final class BlockSyncServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BlockSyncServer.class.getName());
    static final int MAX_CONNECTIONS = 8;
    static final int MAX_PER_PEER = 2;
    /** Connections at once from one network address, authenticated or not (a stranger cannot take every slot). */
    static final int MAX_PER_ADDRESS = 3;
    static final int REQUESTS_PER_SECOND = 50;
    static final long CONNECTION_MILLIS = 60_000;

    private final int self;
    private final ClusterConfig genesis;
    private final PeerTls tls;
    private final BlockSource local;
    private final ThreadFactory threads;
    private final ScheduledExecutorService timer;
    private final InetSocketAddress bind;
    private final AtomicInteger[] open;
    private final RateLimit[] rates;
    private final java.util.Map<java.net.InetAddress, Integer> perAddress = new java.util.HashMap<>();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private ServerSocket listener;
    private ThreadPoolExecutor workers;

    /**
     * @param self    this replica's id
     * @param genesis the network (which ids are replicas)
     * @param tls     this replica's TLS (its genesis certificate; trusts the replicas' genesis keys only)
     * @param local   this replica's stored blocks
     * @param threads where threads come from (the container's managed thread factory)
     * @param timer   closes connections that outlive {@link #CONNECTION_MILLIS}
     * @param bind    where to listen
     */
    BlockSyncServer(int self, ClusterConfig genesis, PeerTls tls, BlockSource local, ThreadFactory threads,
                    ScheduledExecutorService timer, InetSocketAddress bind) {
        this(self, genesis, tls, local, threads, timer, bind, REQUESTS_PER_SECOND);
    }

    /** As above, with a request rate per replica other than {@value #REQUESTS_PER_SECOND} a second (tests). */
    BlockSyncServer(int self, ClusterConfig genesis, PeerTls tls, BlockSource local, ThreadFactory threads,
                    ScheduledExecutorService timer, InetSocketAddress bind, int requestsPerSecond) {
        this.self = self;
        this.genesis = genesis;
        this.tls = tls;
        this.local = local;
        this.threads = threads;
        this.timer = timer;
        this.bind = bind;
        this.open = new AtomicInteger[genesis.n()];
        this.rates = new RateLimit[genesis.n()];
        for (int i = 0; i < genesis.n(); i++) {
            open[i] = new AtomicInteger();
            rates[i] = new RateLimit(requestsPerSecond);
        }
    }

    /** Binds the listening socket and starts accepting. */
    synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(bind, 50);
        listener = s;
        workers = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
        Thread acceptor = threads.newThread(this::acceptLoop);
        acceptor.start();
        LOG.info(() -> "block sync: mutual TLS on " + bind.getHostString() + ":" + s.getLocalPort());
    }

    /** The port it listens on. */
    int port() {
        return listener.getLocalPort();
    }

    /** Answers served and connections refused so far. */
    String counters() {
        return served.get() + " served, " + refused.get() + " refused";
    }

    private void acceptLoop() {
        ServerSocket s = listener;
        while (!s.isClosed()) {
            Socket raw;
            try {
                raw = s.accept();
            } catch (IOException e) {
                if (!s.isClosed()) {
                    LOG.fine(() -> "block sync accept failed: " + e);
                    pause(); // e.g. out of file descriptors: do not spin
                }
                continue;
            }
            java.net.InetAddress from = raw.getInetAddress();
            if (!admit(from)) {
                refused.incrementAndGet();
                close(raw);
                continue;
            }
            try {
                workers.execute(() -> {
                    try {
                        serve(raw);
                    } finally {
                        release(from);
                    }
                });
            } catch (RejectedExecutionException e) {
                release(from);
                refused.incrementAndGet();
                close(raw);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counts a connection from an address, unless it already has {@value #MAX_PER_ADDRESS}. */
    private boolean admit(java.net.InetAddress from) {
        synchronized (perAddress) {
            int n = perAddress.getOrDefault(from, 0);
            if (n >= MAX_PER_ADDRESS) {
                return false;
            }
            perAddress.put(from, n + 1);
            return true;
        }
    }

    private void release(java.net.InetAddress from) {
        synchronized (perAddress) {
            perAddress.computeIfPresent(from, (a, n) -> n > 1 ? n - 1 : null);
        }
    }

    private void serve(Socket raw) {
        ScheduledFuture<?> deadline = timer.schedule(() -> close(raw), CONNECTION_MILLIS, TimeUnit.MILLISECONDS);
        int peer = -1;
        int holding = -1; // the replica whose connection count this one holds
        try {
            raw.setSoTimeout(BlockSync.IO_TIMEOUT_MILLIS);
            SSLSocket ssl = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, null, true);
            ssl.setSSLParameters(tls.serverParameters());
            ssl.startHandshake(); // the trust manager admits genesis replica keys only
            peer = tls.peerOf(ssl.getSession());
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ssl.getOutputStream(), 64 * 1024));
            if (!genesis.isReplica(peer) || peer == self) {
                refuse(out, ErrorCode.FORBIDDEN, "only the other replicas of this network fetch blocks here");
                return;
            }
            holding = peer;
            if (open[peer].incrementAndGet() > MAX_PER_PEER) {
                refuse(out, ErrorCode.BUSY, "replica " + peer + " already has " + MAX_PER_PEER + " block sync connections");
                return;
            }
            BlockSync.Request request;
            try {
                request = BlockSync.readRequest(new DataInputStream(new BufferedInputStream(ssl.getInputStream())));
            } catch (EhrException e) {
                refuse(out, e.code(), e.getMessage());
                return;
            }
            if (!rates[peer].tryAcquire()) {
                refuse(out, ErrorCode.BUSY, "replica " + peer + " asks for blocks too often");
                return;
            }
            byte[] answer;
            try {
                answer = answer(request);
            } catch (EhrException e) {
                refuse(out, e.code(), e.getMessage());
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "block sync: serving blocks from height " + request.from() + " failed", e);
                refuse(out, ErrorCode.UNAVAILABLE, "this replica cannot serve blocks now");
                return;
            }
            BlockSync.writeBlocks(out, answer);
            served.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            int who = peer;
            refused.incrementAndGet();
            LOG.fine(() -> "block sync connection from " + raw.getRemoteSocketAddress()
                    + (who >= 0 ? " (replica " + who + ")" : "") + " failed: " + e);
        } finally {
            if (holding >= 0) {
                open[holding].decrementAndGet();
            }
            deadline.cancel(false);
            close(raw);
        }
    }

    /** Encodes the blocks asked for, fewer if they would exceed the answer limit. */
    private byte[] answer(BlockSync.Request request) {
        int max = request.max();
        while (true) {
            byte[] encoded = BlockSync.encode(local.fetch(request.from(), max));
            if (encoded.length <= BlockSync.MAX_ANSWER_BYTES) {
                return encoded;
            }
            if (max == 1) {
                throw new EhrException(ErrorCode.PAYLOAD_TOO_LARGE, "block " + request.from() + " with its contents exceeds "
                        + BlockSync.MAX_ANSWER_BYTES + " bytes");
            }
            max = Math.max(1, max / 2);
        }
    }

    private void refuse(DataOutputStream out, ErrorCode code, String message) throws IOException {
        refused.incrementAndGet();
        BlockSync.writeRefusal(out, code, message);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is best effort
        }
    }

    @Override
    public synchronized void close() {
        if (listener != null) {
            try {
                listener.close();
            } catch (IOException e) {
                // closing is best effort
            }
        }
        if (workers != null) {
            workers.shutdownNow();
        }
    }

    /** A token bucket: up to {@code perSecond} requests a second, as a burst of at most that many. */
    private static final class RateLimit {
        private final int perSecond;
        private double tokens;
        private long last = System.nanoTime();

        RateLimit(int perSecond) {
            this.perSecond = perSecond;
            this.tokens = perSecond;
        }

        synchronized boolean tryAcquire() {
            long now = System.nanoTime();
            tokens = Math.min(perSecond, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}

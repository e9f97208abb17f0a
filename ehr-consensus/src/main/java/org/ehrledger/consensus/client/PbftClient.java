package org.ehrledger.consensus.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.MalformedMessageException;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;

/**
 * Submits signed requests and completes each when f+1 distinct replicas return the same result (at
 * least one of them is correct). Sends to the primary it believes in; on timeout retransmits to all
 * replicas, which lets backups detect a faulty primary. Thread-safe; {@link #tick(long)} must be
 * called periodically (a {@code ReplicaRunner} or the simulated network does it).
 */
public final class PbftClient {

    private static final class Pending {
        final Request request;
        final CompletableFuture<byte[]> future;
        final long submittedAt;
        long sentAt;
        long retransmit;
        final Map<Integer, byte[]> results = new HashMap<>();
        final Map<Integer, Long> views = new HashMap<>();

        Pending(Request request, CompletableFuture<byte[]> future, long now, long retransmit) {
            this.request = request;
            this.future = future;
            this.submittedAt = now;
            this.sentAt = now;
            this.retransmit = retransmit;
        }
    }

    private final ClusterConfig config;
    private final int id;
    private final NodeCrypto crypto;
    private final Transport transport;
    private final ClientSettings settings;
    private final LongSupplier clock;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private long lastTimestamp;
    private long viewGuess;

    /**
     * @param config    genesis configuration
     * @param id        this client's id (at least {@link ClusterConfig#FIRST_CLIENT_ID})
     * @param keys      this client's private keys (its public keys must be in the replicas' client directory)
     * @param transport the network
     * @param settings  tunables
     * @param clock     milliseconds, the wall clock in production and the simulated clock in tests
     */
    public PbftClient(ClusterConfig config, int id, NodeKeys keys, Transport transport, ClientSettings settings,
                      LongSupplier clock) {
        if (id < ClusterConfig.FIRST_CLIENT_ID) {
            throw new IllegalArgumentException("client ids start at " + ClusterConfig.FIRST_CLIENT_ID);
        }
        this.config = config;
        this.id = id;
        this.crypto = new NodeCrypto(id, keys, config::replicaKeys);
        this.transport = transport;
        this.settings = settings;
        this.clock = clock;
    }

    /** This client's id. */
    public int id() {
        return id;
    }

    /** Submits an operation; the future completes with the result agreed by f+1 replicas. */
    public CompletableFuture<byte[]> submit(byte[] operation) {
        long ts;
        int primary;
        synchronized (this) {
            if (pending.size() >= settings.maxOutstanding()) {
                return CompletableFuture.failedFuture(new ClientOverloadedException(
                        "client " + id + " already has " + pending.size() + " requests in flight"));
            }
            // Microsecond-scaled wall clock, strictly increasing: a restarted client never reuses a timestamp.
            ts = Math.max(lastTimestamp + 1, clock.getAsLong() * 1000);
            lastTimestamp = ts;
            primary = config.primary(viewGuess);
        }
        Request request = new Request(id, ts, operation, crypto.sign(Request.signedBytes(id, ts, operation)));
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        long now = clock.getAsLong();
        synchronized (this) {
            pending.put(ts, new Pending(request, future, now, settings.retransmitMillis()));
        }
        send(primary, request);
        return future;
    }

    private void send(int replica, Request request) {
        byte[] frame = Envelope.seal(crypto, request).to(replica);
        if (frame != null) {
            transport.send(replica, frame);
        }
    }

    /** Handles a frame from the network. */
    public void receive(byte[] frame) {
        Envelope e;
        try {
            e = Envelope.open(crypto, frame);
        } catch (MalformedMessageException ex) {
            return;
        }
        if (!(e.message() instanceof ReplyBatch rb) || !config.isReplica(e.sender()) || rb.replica() != e.sender()
                || rb.clientId() != id) {
            return;
        }
        List<Runnable> completions = new ArrayList<>();
        synchronized (this) {
            for (ReplyBatch.Reply reply : rb.replies()) {
                Pending p = pending.get(reply.timestamp());
                if (p == null) {
                    continue;
                }
                p.results.put(rb.replica(), reply.result());
                p.views.put(rb.replica(), rb.view());
                List<Long> agreeingViews = new ArrayList<>();
                for (var r : p.results.entrySet()) {
                    if (Arrays.equals(r.getValue(), reply.result())) {
                        agreeingViews.add(p.views.get(r.getKey()));
                    }
                }
                if (agreeingViews.size() >= config.f() + 1) {
                    pending.remove(reply.timestamp());
                    agreeingViews.sort(java.util.Comparator.reverseOrder());
                    viewGuess = Math.max(viewGuess, agreeingViews.get(config.f()));
                    byte[] result = reply.result();
                    completions.add(() -> p.future.complete(result));
                }
            }
        }
        completions.forEach(Runnable::run);
    }

    /** Retransmits overdue requests to every replica and fails those past the request timeout. */
    public void tick(long now) {
        List<Request> resend = new ArrayList<>();
        List<Pending> expired = new ArrayList<>();
        synchronized (this) {
            Iterator<Pending> it = pending.values().iterator();
            while (it.hasNext()) {
                Pending p = it.next();
                if (now - p.submittedAt >= settings.requestTimeoutMillis()) {
                    it.remove();
                    expired.add(p);
                } else if (now - p.sentAt >= p.retransmit) {
                    p.sentAt = now;
                    p.retransmit = Math.min(p.retransmit * 2, settings.maxRetransmitMillis());
                    resend.add(p.request);
                }
            }
        }
        for (Request r : resend) {
            for (int replica = 0; replica < config.n(); replica++) {
                send(replica, r);
            }
        }
        for (Pending p : expired) {
            p.future.completeExceptionally(new ConsensusTimeoutException("no f+1 matching replies within "
                    + settings.requestTimeoutMillis() + " ms for request " + p.request.timestamp()
                    + " of client " + id + "; it may still execute"));
        }
    }

    /** Requests submitted and not yet answered. */
    public synchronized int outstanding() {
        return pending.size();
    }

    /** The view this client believes current (for diagnostics). */
    public synchronized long viewGuess() {
        return viewGuess;
    }
}

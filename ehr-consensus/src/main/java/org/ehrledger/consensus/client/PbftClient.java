package org.ehrledger.consensus.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import org.ehrledger.consensus.api.ClientOverloadedException;
import org.ehrledger.consensus.api.ConsensusTimeoutException;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.Results;

/**
 * Submits operations and completes each when f+1 distinct replicas return the same result (so at least
 * one correct replica vouches for it). Operations submitted while {@code maxInFlightRequests} signed
 * requests are already in flight wait and go out together in the next request, one signature for the
 * bundle. Sends to the primary it believes in; on timeout retransmits to all replicas, which lets backups
 * detect a faulty primary. Thread-safe; {@link #tick(long)} must be called periodically.
 */
public final class PbftClient {

    /** Operations submitted together: they always travel in the same request, in order. */
    private record Group(List<byte[]> payloads, CompletableFuture<List<byte[]>> future, long submittedAt) {
        int bytes() {
            int b = 0;
            for (byte[] p : payloads) {
                b += p.length;
            }
            return b;
        }
    }

    private static final class Pending {
        final Request request;
        final List<Group> groups;
        long sentAt;
        long retransmit;
        final Map<Integer, byte[]> results = new HashMap<>();
        final Map<Integer, Long> views = new HashMap<>();

        Pending(Request request, List<Group> groups, long now, long retransmit) {
            this.request = request;
            this.groups = groups;
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
    private final ArrayDeque<Group> waiting = new ArrayDeque<>();
    private int outstanding;
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
        return submitGroup(List.of(operation)).thenApply(results -> results.get(0));
    }

    /**
     * Submits operations that must be ordered together, adjacent and in this order, in one request
     * (e.g. a transaction and the content it commits to); the future completes with their results.
     */
    public CompletableFuture<List<byte[]>> submitGroup(List<byte[]> operations) {
        if (operations.isEmpty()) {
            throw new IllegalArgumentException("a group has at least one operation");
        }
        CompletableFuture<List<byte[]>> future = new CompletableFuture<>();
        List<Request> toSend;
        int primary;
        synchronized (this) {
            if (outstanding >= settings.maxOutstanding()) {
                return CompletableFuture.failedFuture(new ClientOverloadedException(
                        "client " + id + " already has " + outstanding + " operations in flight; retry later"));
            }
            outstanding += operations.size();
            waiting.add(new Group(List.copyOf(operations), future, clock.getAsLong()));
            toSend = bundleWaiting();
            primary = config.primary(viewGuess);
        }
        for (Request r : toSend) {
            send(primary, r);
        }
        return future;
    }

    /** Signs the waiting operations into requests while the in-flight limit allows. Caller holds the lock. */
    private List<Request> bundleWaiting() {
        List<Request> out = new ArrayList<>();
        while (!waiting.isEmpty() && pending.size() < settings.maxInFlightRequests()) {
            List<Group> groups = new ArrayList<>();
            List<byte[]> payloads = new ArrayList<>();
            int bytes = 0;
            while (!waiting.isEmpty() && (groups.isEmpty()
                    || (payloads.size() + waiting.peek().payloads().size() <= settings.maxBundleOperations()
                    && bytes + waiting.peek().bytes() <= settings.maxBundleBytes()))) {
                Group g = waiting.poll();
                groups.add(g);
                payloads.addAll(g.payloads());
                bytes += g.bytes();
            }
            // Microsecond-scaled wall clock, strictly increasing: a restarted client never reuses a timestamp.
            long ts = Math.max(lastTimestamp + 1, clock.getAsLong() * 1000);
            lastTimestamp = ts;
            Request request = new Request(id, ts, payloads, crypto.sign(Request.signedBytes(id, ts, payloads)));
            pending.put(ts, new Pending(request, groups, clock.getAsLong(), settings.retransmitMillis()));
            out.add(request);
        }
        return out;
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
        List<Request> toSend;
        int primary;
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
                if (agreeingViews.size() < config.f() + 1) {
                    continue;
                }
                List<byte[]> results;
                try {
                    results = Results.decode(reply.result());
                } catch (MalformedMessageException ex) {
                    continue; // f+1 replicas cannot agree on garbage unless more than f are faulty
                }
                if (results.size() != p.request.operations().size()) {
                    continue;
                }
                pending.remove(reply.timestamp());
                outstanding -= results.size();
                agreeingViews.sort(java.util.Comparator.reverseOrder());
                viewGuess = Math.max(viewGuess, agreeingViews.get(config.f()));
                int at = 0;
                for (Group g : p.groups) {
                    List<byte[]> mine = List.copyOf(results.subList(at, at + g.payloads().size()));
                    at += g.payloads().size();
                    completions.add(() -> g.future().complete(mine));
                }
            }
            toSend = bundleWaiting();
            primary = config.primary(viewGuess);
        }
        for (Request r : toSend) {
            send(primary, r);
        }
        completions.forEach(Runnable::run);
    }

    /** Retransmits overdue requests to every replica and fails operations past the request timeout. */
    public void tick(long now) {
        List<Request> resend = new ArrayList<>();
        List<Group> expired = new ArrayList<>();
        List<Request> toSend;
        int primary;
        synchronized (this) {
            Iterator<Pending> it = pending.values().iterator();
            while (it.hasNext()) {
                Pending p = it.next();
                if (now - p.groups.get(0).submittedAt() >= settings.requestTimeoutMillis()) {
                    it.remove();
                    outstanding -= p.request.operations().size();
                    expired.addAll(p.groups);
                } else if (now - p.sentAt >= p.retransmit) {
                    p.sentAt = now;
                    p.retransmit = Math.min(p.retransmit * 2, settings.maxRetransmitMillis());
                    resend.add(p.request);
                }
            }
            toSend = bundleWaiting();
            primary = config.primary(viewGuess);
        }
        for (Request r : resend) {
            for (int replica = 0; replica < config.n(); replica++) {
                send(replica, r);
            }
        }
        for (Request r : toSend) {
            send(primary, r);
        }
        for (Group g : expired) {
            g.future().completeExceptionally(new ConsensusTimeoutException("no f+1 matching replies within "
                    + settings.requestTimeoutMillis() + " ms from client " + id + "; the operation may still execute"));
        }
    }

    /** Operations submitted and not yet answered. */
    public synchronized int outstanding() {
        return outstanding;
    }

    /** The view this client believes current (for diagnostics). */
    public synchronized long viewGuess() {
        return viewGuess;
    }
}

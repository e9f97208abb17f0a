package org.ehrledger.consensus.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.ehrledger.consensus.message.RequestKey;
import org.ehrledger.consensus.codec.Wire;

/**
 * Replicated replay-suppression state: per client, the timestamps of its last {@value #WINDOW}
 * executed requests. A request is fresh if its timestamp is not among them and not older than all of
 * them (when the window is full); this lets a client keep many requests in flight while guaranteeing
 * each executes at most once. Part of every checkpoint. The reply cache beside it is local only.
 */
final class ClientTable {

    /** Executed timestamps remembered per client. */
    static final int WINDOW = 1024;

    enum Status { FRESH, DUPLICATE, STALE }

    private final TreeMap<Integer, TreeSet<Long>> executed = new TreeMap<>();
    /** A cached reply and the digest of the request it answers (a reused timestamp gets no stale answer). */
    private record Cached(org.ehrledger.consensus.codec.Digest request, byte[] result) {
    }

    private final Map<Integer, LinkedHashMap<Long, Cached>> replies = new java.util.HashMap<>();
    private final int replyCacheSize;

    ClientTable(int replyCacheSize) {
        this.replyCacheSize = replyCacheSize;
    }

    Status status(RequestKey key) {
        TreeSet<Long> done = executed.get(key.clientId());
        if (done == null) {
            return Status.FRESH;
        }
        if (done.contains(key.timestamp())) {
            return Status.DUPLICATE;
        }
        if (done.size() >= WINDOW && key.timestamp() < done.first()) {
            return Status.STALE;
        }
        return Status.FRESH;
    }

    void markExecuted(RequestKey key) {
        TreeSet<Long> done = executed.computeIfAbsent(key.clientId(), c -> new TreeSet<>());
        done.add(key.timestamp());
        while (done.size() > WINDOW) {
            done.pollFirst();
        }
    }

    void cacheReply(RequestKey key, org.ehrledger.consensus.codec.Digest request, byte[] result) {
        LinkedHashMap<Long, Cached> cache = replies.computeIfAbsent(key.clientId(), c -> new LinkedHashMap<>());
        cache.put(key.timestamp(), new Cached(request, result));
        if (cache.size() > replyCacheSize) {
            Iterator<Long> it = cache.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** The cached result for this exact request, or null (unknown, evicted, or the timestamp was reused). */
    byte[] cachedReply(RequestKey key, org.ehrledger.consensus.codec.Digest request) {
        LinkedHashMap<Long, Cached> cache = replies.get(key.clientId());
        Cached c = cache == null ? null : cache.get(key.timestamp());
        return c != null && c.request().equals(request) ? c.result() : null;
    }

    void encode(Wire.Writer w) {
        w.i32(executed.size());
        for (var e : executed.entrySet()) {
            w.i32(e.getKey()).i32(e.getValue().size());
            for (long ts : e.getValue()) {
                w.i64(ts);
            }
        }
    }

    void replaceWith(Wire.Reader r) {
        executed.clear();
        replies.clear();
        int clients = r.count(8);
        for (int i = 0; i < clients; i++) {
            int client = r.i32();
            int count = r.count(8);
            TreeSet<Long> set = new TreeSet<>();
            for (int j = 0; j < count; j++) {
                set.add(r.i64());
            }
            executed.put(client, set);
        }
    }
}

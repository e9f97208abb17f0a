package org.ehrledger.consensus.core;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.RequestKey;

/**
 * Requests known but not yet in an accepted pre-prepare, oldest first (the primary batches from the
 * head), with their total size and their number per client kept in step with the queue.
 */
final class PendingRequests {

    /** A request waiting to be ordered, and when this replica first learned of it. */
    private record Pending(Request request, long since) {
    }

    private final LinkedHashMap<RequestKey, Pending> queue = new LinkedHashMap<>();
    private int bytes;
    /** Pending requests per client, so no client can fill the queue alone. */
    private final Map<Integer, Integer> perClient = new HashMap<>();

    /** Queues a request first learned of at {@code now}. */
    void add(Request r, long now) {
        queue.put(r.key(), new Pending(r, now));
        bytes += r.encodedSize();
        perClient.merge(r.clientId(), 1, Integer::sum);
    }

    /** Removes a request if it is queued. */
    void remove(RequestKey key) {
        Pending p = queue.remove(key);
        if (p != null) {
            removed(p.request());
        }
    }

    /** Removes and returns the oldest request. */
    Request poll() {
        Iterator<Pending> it = queue.values().iterator();
        Request r = it.next().request();
        it.remove();
        removed(r);
        return r;
    }

    /** The oldest request, left in the queue. */
    Request peek() {
        return queue.values().iterator().next().request();
    }

    /** When this replica learned of the oldest request. */
    long oldestSince() {
        return queue.values().iterator().next().since();
    }

    /** Drops every request the filter selects. */
    void removeIf(Predicate<RequestKey> filter) {
        queue.keySet().removeIf(filter);
        bytes = 0;
        perClient.clear();
        for (Pending p : queue.values()) {
            bytes += p.request().encodedSize();
            perClient.merge(p.request().clientId(), 1, Integer::sum);
        }
    }

    boolean contains(RequestKey key) {
        return queue.containsKey(key);
    }

    int size() {
        return queue.size();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Encoded bytes of the queued requests. */
    int bytes() {
        return bytes;
    }

    /** Queued requests of one client. */
    int of(int clientId) {
        return perClient.getOrDefault(clientId, 0);
    }

    private void removed(Request r) {
        bytes -= r.encodedSize();
        perClient.computeIfPresent(r.clientId(), (c, n) -> n <= 1 ? null : n - 1);
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Committed state rows that nearly every request reads (the caller, the patient, their organisation, the
 * patient's consents and break-glass grants), kept for the services' queries so that a request does not go
 * to the database for them each time. Bounded ({@link #MAX_ENTRIES}, least recently used first out).
 *
 * <p>It never holds a row older than what the database held when the entry was read, and a block's changes
 * are never hidden behind a cached entry once the block's transaction has completed:
 * <ul>
 * <li>the ledger's store removes the entries a block changes before the block's rows are written
 * ({@link #changing}), and again once the block's transaction has completed, committed or not
 * ({@link #settled});</li>
 * <li>each of those steps starts a new generation, and a reader keeps what it read only if no generation
 * started while it was reading ({@link #put}), so a value read just before a commit cannot be kept after
 * it.</li>
 * </ul>
 * Between a block's {@link #changing} and {@link #settled} a reader may see the rows from before the block,
 * as it would in the database before the commit.
 */
public final class StateReadCache {

    /** Entries kept at most (a row, or the rows of one index value). */
    public static final int MAX_ENTRIES = 8192;

    private final Map<String, Object> entries = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_ENTRIES;
        }
    };
    /** The keys of the block being written, removed again when its transaction completes. */
    private final Set<String> unsettled = new HashSet<>();
    private long generation;

    /** The generation to pass to {@link #put} for a value about to be read from the database. */
    synchronized long generation() {
        return generation;
    }

    /** The cached value, or null when not cached. */
    synchronized Object get(String key) {
        return entries.get(key);
    }

    /** Keeps a value read from the database, unless a block changed rows since {@code readAt} began. */
    synchronized void put(String key, Object value, long readAt) {
        if (readAt == generation) {
            entries.put(key, value);
        }
    }

    /** A block is about to write rows under these keys: forget them (before its transaction commits). */
    synchronized void changing(Collection<String> keys) {
        generation++;
        for (String k : keys) {
            entries.remove(k);
        }
        unsettled.addAll(keys);
    }

    /** The block's transaction completed (committed or rolled back): forget its keys once more. */
    public synchronized void settled() {
        if (unsettled.isEmpty()) {
            return;
        }
        generation++;
        for (String k : unsettled) {
            entries.remove(k);
        }
        unsettled.clear();
    }

    /** Forgets everything (the ledger was reloaded, restored from a snapshot or repaired). */
    public synchronized void clear() {
        generation++;
        entries.clear();
        unsettled.clear();
    }

    /** Entries held now. */
    synchronized int size() {
        return entries.size();
    }
}

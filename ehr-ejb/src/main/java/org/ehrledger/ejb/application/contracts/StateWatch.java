package org.ehrledger.ejb.application.contracts;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The rows that blocks change while a table is being checked page by page without stopping the ledger
 * ({@code IntegrityCheck}): for each changed key, the digest it had before its first change, and the digest
 * the check counted if it read the key after that change. With these the check turns the sum of the rows it
 * read, at different moments, into the sum of the rows as they are when it ends.
 *
 * <p>A change is noted when the contracts make it, before its block commits, so a page read after the
 * commit always finds the key noted. Bounded: a table changed at more than {@value #MAX_KEYS} keys while it is
 * checked is marked overflowed and checked again later.
 */
public final class StateWatch {

    /** Changed keys noted per table checked, at most. */
    public static final int MAX_KEYS = 200_000;

    /** What is known of one changed key. */
    public static final class Change {
        private final byte[] before;
        private byte[] counted;
        private boolean read;

        Change(byte[] before) {
            this.before = before;
        }

        /** The row digest the check added for this key: the one it read, else the one before the first change (null: none). */
        public byte[] counted() {
            return read ? counted : before;
        }

        /** Whether the check read this key after its first change. */
        public boolean readAfterChange() {
            return read;
        }

        /** Whether the key existed before its first change. */
        public boolean existedBefore() {
            return before != null;
        }
    }

    private final Map<StateTable, Map<String, Change>> watched = new EnumMap<>(StateTable.class);
    private final Map<StateTable, Boolean> overflowed = new EnumMap<>(StateTable.class);
    private final Map<StateTable, Integer> deletions = new EnumMap<>(StateTable.class);

    /** Starts noting the changes of a table (call while no block executes). */
    public synchronized void start(StateTable table) {
        watched.put(table, new HashMap<>());
        overflowed.put(table, false);
        deletions.put(table, 0);
    }

    /** Stops noting a table's changes and returns them by key. */
    public synchronized Map<String, Change> stop(StateTable table) {
        Map<String, Change> changes = watched.remove(table);
        return changes == null ? Map.of() : changes;
    }

    /** Whether more keys changed than could be noted since {@link #start}. */
    public synchronized boolean overflowed(StateTable table) {
        return overflowed.getOrDefault(table, false);
    }

    /** Rows deleted since {@link #start}. */
    public synchronized int deletions(StateTable table) {
        return deletions.getOrDefault(table, 0);
    }

    /** Notes a change by a block: {@code previous} is the row before it (null: inserted), {@code deleted} whether it goes. */
    synchronized void changed(StateTable table, String key, StateStore.Row previous, boolean deleted) {
        Map<String, Change> changes = watched.get(table);
        if (changes == null) {
            return;
        }
        if (deleted) {
            deletions.merge(table, 1, Integer::sum);
        }
        if (!changes.containsKey(key)) {
            if (changes.size() >= MAX_KEYS) {
                overflowed.put(table, true);
                return;
            }
            changes.put(key, new Change(previous == null ? null : previous.digest()));
        }
    }

    /**
     * Notes that the check read a row: returns true if the key had changed since the check began (the
     * check must then leave the row out of its running sum; the end of the check counts it as it is then).
     */
    public synchronized boolean read(StateTable table, StateStore.Row row) {
        Map<String, Change> changes = watched.get(table);
        Change c = changes == null ? null : changes.get(row.key());
        if (c == null) {
            return false;
        }
        c.read = true;
        c.counted = null; // left out of the running sum
        return true;
    }
}

package org.ehrledger.ejb.application.contracts;

import java.util.List;
import java.util.Map;

/**
 * Where the world state's rows live: in memory (contract tests, simulations) or in relational tables
 * (a replica, see {@code JpaStateStore}). {@link WorldState} reads and writes typed values through it and
 * keeps the state commitment; a store only keeps rows. Changes made while a block executes become
 * durable with {@link #endBlock}, in the same transaction as the block.
 */
public interface StateStore {

    /**
     * One state row.
     *
     * @param key    unique key within its table
     * @param body   canonical encoding of the value ({@link StateRows})
     * @param digest the row digest over table, key and body ({@code StateCommitment.rowDigest})
     * @param index1 first indexed column (see {@link StateTable}), or null
     * @param index2 second indexed column, or null
     * @param index3 third indexed column, or null
     * @param order  ordering within an index (a consensus time), 0 if none
     */
    record Row(String key, byte[] body, byte[] digest, String index1, String index2, String index3, long order) {

        /** Whether the derived columns (indexes and order) agree with {@code other}'s. */
        public boolean sameColumns(Row other) {
            return key.equals(other.key) && java.util.Objects.equals(index1, other.index1)
                    && java.util.Objects.equals(index2, other.index2) && java.util.Objects.equals(index3, other.index3)
                    && order == other.order;
        }

        /** The value of index 1, 2 or 3. */
        public String index(int which) {
            return switch (which) {
                case 1 -> index1;
                case 2 -> index2;
                case 3 -> index3;
                default -> throw new IllegalArgumentException("index " + which);
            };
        }
    }

    /** A row, or null. */
    Row get(StateTable table, String key);

    /** Inserts a row ({@code previous} null) or replaces {@code previous}, the row with the same key. */
    void put(StateTable table, Row row, Row previous);

    /** Deletes a row. */
    void remove(StateTable table, Row previous);

    /** Rows whose index {@code index} (1 to 3) equals {@code value}, by order then key, from {@code offset}. */
    List<Row> find(StateTable table, int index, String value, int offset, int limit);

    /**
     * Rows whose index {@code index} (1 to 3) is one of {@code values}, with order in [{@code from}, {@code to}),
     * newest first (by order then key, both descending), after the row at ({@code afterOrder}, {@code afterKey}) in
     * that order ({@code afterKey} null: from the newest), at most {@code limit}.
     */
    List<Row> findNewestFirst(StateTable table, int index, java.util.Collection<String> values, long from, long to,
                              long afterOrder, String afterKey, int limit);

    /** Rows by order, then key: the order of {@link #find}; reversed, of {@link #findNewestFirst}. */
    java.util.Comparator<Row> BY_ORDER_THEN_KEY = java.util.Comparator.comparingLong(Row::order).thenComparing(Row::key);

    /** Whether a row comes after ({@code afterOrder}, {@code afterKey}) newest first (null key: every row does). */
    static boolean after(Row r, long afterOrder, String afterKey) {
        return afterKey == null || r.order() < afterOrder || r.order() == afterOrder && r.key().compareTo(afterKey) < 0;
    }

    /** Rows with keys after {@code afterKey} ("" for the first), in key order, at most {@code limit}. */
    List<Row> scan(StateTable table, String afterKey, int limit);

    /** Number of rows of a table. */
    long count(StateTable table);

    /** Height of the block the stored rows reflect (0: none executed, or state kept only in memory). */
    long height();

    /** The accumulators as stored with {@link #endBlock}, by table (empty in a new store). */
    Map<StateTable, byte[]> accumulators();

    /** Makes the changes since the last call durable as the state after block {@code height}, with the changed accumulators. */
    void endBlock(long height, Map<StateTable, byte[]> changedAccumulators);

    /**
     * Reads the rows with these keys ahead, in as few round trips as it can, for the block about to execute
     * (a hint: {@link #get} answers the same with or without it).
     */
    default void prefetch(StateTable table, java.util.Collection<String> keys) {
    }

    /**
     * The rows with these keys that exist, by key: what {@link #get} answers for each, in as few round trips as the
     * store can (a page of records' key wraps in one query).
     */
    default Map<String, Row> getAll(StateTable table, java.util.Collection<String> keys) {
        Map<String, Row> out = new java.util.HashMap<>();
        for (String k : keys) {
            Row r = get(table, k);
            if (r != null) {
                out.put(k, r);
            }
        }
        return out;
    }

    /** Drops changes not yet ended and anything held for the current transaction (JPA: detaches what was read). */
    default void release() {
    }

    /** A store in memory. */
    static StateStore inMemory() {
        return new InMemoryStateStore();
    }
}

package org.ehrledger.ejb.application.contracts;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;

/**
 * The rows of a {@link StateStore} with the state commitment kept up to date: every insert, update and
 * delete adds and subtracts row digests in the accumulator of its table ({@link StateCommitment}). The
 * accumulators are loaded on the first change, so read-only views never load them.
 */
final class CommittedRows {

    /** Rows read per page when a whole table is scanned. */
    static final int PAGE = 512;
    /** A limit that means all rows. */
    static final int ALL = Integer.MAX_VALUE;

    private final StateStore store;
    private Map<StateTable, byte[]> accumulators;
    private final EnumSet<StateTable> changed = EnumSet.noneOf(StateTable.class);
    /** Where changes are noted while a table is checked (null: nowhere). */
    private volatile StateWatch watch;

    CommittedRows(StateStore store) {
        this.store = store;
    }

    StateStore store() {
        return store;
    }

    void watch(StateWatch w) {
        this.watch = w;
    }

    /** Notes a change in the watch: the row's digest before (null: inserted) and after (null: deleted). */
    private void noteChange(StateTable table, String key, StateStore.Row before, StateStore.Row after) {
        StateWatch w = watch;
        if (w != null && w.active()) {
            w.changed(table, key, before == null ? null : before.digest(), after == null ? null : after.digest());
        }
    }

    private Map<StateTable, byte[]> accumulators() {
        if (accumulators == null) {
            accumulators = new EnumMap<>(StateTable.class);
            for (StateTable t : StateTable.values()) {
                accumulators.put(t, new byte[StateCommitment.BYTES]);
            }
            accumulators.putAll(store.accumulators());
        }
        return accumulators;
    }

    <V> V get(StateTable table, String key, Function<byte[], V> decode) {
        StateStore.Row r = store.get(table, key);
        return r == null ? null : decode.apply(r.body());
    }

    void put(StateTable table, String key, byte[] body) {
        StateStore.Row previous = store.get(table, key);
        StateStore.Row row = StateRows.row(table, key, body);
        if (previous != null && Arrays.equals(previous.body(), body)) {
            return;
        }
        byte[] acc = accumulators().get(table);
        if (previous != null) {
            StateCommitment.apply(acc, previous.digest(), -1);
        }
        StateCommitment.apply(acc, row.digest(), 1);
        changed.add(table);
        noteChange(table, key, previous, row);
        store.put(table, row, previous);
    }

    /** Inserts a row known to be new (the caller checked), without reading it first. */
    void insert(StateTable table, String key, byte[] body) {
        StateStore.Row row = StateRows.row(table, key, body);
        StateCommitment.apply(accumulators().get(table), row.digest(), 1);
        changed.add(table);
        noteChange(table, key, null, row);
        store.put(table, row, null);
    }

    void delete(StateTable table, StateStore.Row previous) {
        StateCommitment.apply(accumulators().get(table), previous.digest(), -1);
        changed.add(table);
        noteChange(table, previous.key(), previous, null);
        store.remove(table, previous);
    }

    void delete(StateTable table, String key) {
        StateStore.Row previous = store.get(table, key);
        if (previous != null) {
            delete(table, previous);
        }
    }

    List<StateStore.Row> find(StateTable table, int index, String value) {
        return store.find(table, index, value, 0, ALL);
    }

    /** The state digest a block header carries after the changes so far ({@link StateCommitment}). */
    Digest digest() {
        return StateCommitment.digest(StateCommitment.sum(accumulators().values()));
    }

    /** Makes the changes so far durable as the state after block {@code height} (with the block, atomically). */
    void endBlock(long height) {
        Map<StateTable, byte[]> out = new EnumMap<>(StateTable.class);
        for (StateTable t : changed) {
            out.put(t, accumulators().get(t).clone());
        }
        changed.clear();
        store.endBlock(height, out);
        StateWatch w = watch;
        if (w != null) {
            w.blockEnded();
        }
    }

    /**
     * Checks every stored row against its digest and columns, and every table against its stored
     * accumulator, a page at a time (O(state), no block replayed). Returns what is wrong, naming the table
     * and key where a row was altered, or null if the rows are as the ledger wrote them.
     */
    String verifyRows() {
        for (StateTable t : StateTable.values()) {
            String problem = verifyTable(t);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /** {@link #verifyRows} for one table. */
    String verifyTable(StateTable t) {
        byte[] acc = new byte[StateCommitment.BYTES];
        String after = "";
        while (true) {
            List<StateStore.Row> page = store.scan(t, after, PAGE);
            for (StateStore.Row r : page) {
                String problem = checkRow(t, r);
                if (problem != null) {
                    return problem;
                }
                StateCommitment.apply(acc, r.digest(), 1);
                after = r.key();
            }
            store.release();
            if (page.size() < PAGE) {
                break;
            }
        }
        if (!Arrays.equals(acc, store.accumulators().getOrDefault(t, new byte[StateCommitment.BYTES]))) {
            return notAddingUp(t);
        }
        return null;
    }

    /** The problem of a table whose rows do not add up to its stored accumulator. */
    static String notAddingUp(StateTable t) {
        return "table " + t.tableName() + ": its rows do not add up to its stored digest (a row was added, deleted or re-hashed)";
    }

    /**
     * What is wrong with one stored row (its body does not decode, does not match its digest, or an indexed
     * column does not match the body), naming the table and key; null if it is as the ledger wrote it.
     */
    static String checkRow(StateTable t, StateStore.Row r) {
        StateStore.Row expected;
        try {
            expected = StateRows.row(t, r.key(), r.body());
        } catch (RuntimeException e) {
            return "table " + t.tableName() + ", key " + r.key() + ": the row cannot be read (altered)";
        }
        if (!Arrays.equals(expected.digest(), r.digest())) {
            return "table " + t.tableName() + ", key " + r.key() + ": the row does not match its digest (altered)";
        }
        if (!expected.sameColumns(r)) {
            return "table " + t.tableName() + ", key " + r.key() + ": an indexed column does not match the row (altered)";
        }
        return null;
    }

    /** A page of the rows whose index {@code index} equals {@code value}, by order then key. */
    List<StateStore.Row> find(StateTable table, int index, String value, int offset, int limit) {
        return store.find(table, index, value, offset, limit);
    }
}

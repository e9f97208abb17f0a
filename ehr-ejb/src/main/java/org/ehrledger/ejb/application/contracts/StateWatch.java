package org.ehrledger.ejb.application.contracts;

import java.util.EnumMap;
import java.util.Map;

import org.ehrledger.ejb.domain.model.ledger.StateCommitment;

/**
 * What blocks change in a table while it is counted page by page without stopping the ledger
 * ({@code IntegrityCheck}), in constant space whatever the number of changes: a cursor (the last key counted)
 * and a running sum of the changes blocks made to keys at or before it, in the units of the table's
 * accumulator ({@link StateCommitment}). The rows the check read, each as it was when its page was read, plus
 * that running sum equal the table as it is now: a key changed after it was counted adds its new digest and
 * takes away the old one (which telescopes over several changes); a key after the cursor is read later as it
 * is then. The pages must be read while no block executes, so that a block sees one cursor throughout.
 *
 * <p>A block's changes are kept apart until it ends and then added to the running sum; if a transaction that
 * executed blocks rolls back, what it added is no longer known to be right and the tables watched are marked
 * disturbed (counted again). Keys are ordered as {@link String#compareTo} orders them: the check confirms that
 * the database's pages come in that order and marks the table misordered otherwise.
 */
public final class StateWatch {

    /** One table being counted. */
    private static final class Watched {
        /** Keys up to here (inclusive) were counted; "" counts none (keys are not empty). */
        private String cursor = "";
        /** Every key was counted. */
        private boolean complete;
        /** Changes of ended blocks to counted keys. */
        private final byte[] delta = new byte[StateCommitment.BYTES];
        /** Changes of the block executing now to counted keys. */
        private final byte[] pending = new byte[StateCommitment.BYTES];
        private boolean pendingAny;
        /** Ended blocks added to {@link #delta} whose transaction has not committed yet. */
        private boolean uncommitted;
        private boolean disturbed;
        private boolean misordered;
        private long changes;

        private boolean counted(String key) {
            return complete || key.compareTo(cursor) <= 0;
        }
    }

    /** What blocks changed in a counted table, when the count ends. */
    public record Changes(byte[] delta, long changes, boolean disturbed, boolean misordered) {
        /** Whether the running sum can be trusted (no rolled-back block, keys in the expected order). */
        public boolean trustworthy() {
            return !disturbed && !misordered;
        }
    }

    private final Map<StateTable, Watched> watched = new EnumMap<>(StateTable.class);

    /** Starts watching a table, nothing counted yet (call while no block executes). */
    public synchronized void start(StateTable table) {
        watched.put(table, new Watched());
    }

    /**
     * Moves a table's cursor past a page just read (call while no block executes, with the page's last key):
     * {@code last} null and {@code complete} true once the table was read to its end.
     */
    public synchronized void counted(StateTable table, String last, boolean complete) {
        Watched w = watched.get(table);
        if (w == null) {
            return;
        }
        if (last != null) {
            if (last.compareTo(w.cursor) <= 0) {
                w.misordered = true; // the database's page order is not String order
            }
            w.cursor = last;
        }
        w.complete |= complete;
    }

    /** Marks a table's count as not to be trusted (its pages came in another order than {@link String#compareTo}). */
    public synchronized void misordered(StateTable table) {
        Watched w = watched.get(table);
        if (w != null) {
            w.misordered = true;
        }
    }

    /** Stops watching a table and returns what blocks changed in it after it was counted. */
    public synchronized Changes stop(StateTable table) {
        Watched w = watched.remove(table);
        if (w == null) {
            return new Changes(new byte[StateCommitment.BYTES], 0, false, false);
        }
        return new Changes(w.delta.clone(), w.changes, w.disturbed || w.pendingAny, w.misordered);
    }

    /** Whether any table is watched (so that blocks skip the work while none is). */
    boolean active() {
        return !watched.isEmpty(); // a racy read is fine: start and stop happen while no block executes
    }

    /**
     * Notes a change by the executing block: the row's digest before it (null: inserted) and after it (null:
     * deleted), as this block sees them.
     */
    synchronized void changed(StateTable table, String key, byte[] before, byte[] after) {
        Watched w = watched.get(table);
        if (w == null || !w.counted(key)) {
            return;
        }
        if (before != null) {
            StateCommitment.apply(w.pending, before, -1);
        }
        if (after != null) {
            StateCommitment.apply(w.pending, after, 1);
        }
        w.pendingAny = true;
        w.changes++;
    }

    /** The executing block ended: its changes join the running sums. */
    synchronized void blockEnded() {
        for (Watched w : watched.values()) {
            if (w.pendingAny) {
                addInto(w.delta, w.pending);
                java.util.Arrays.fill(w.pending, (byte) 0);
                w.pendingAny = false;
                w.uncommitted = true;
            }
        }
    }

    /** The transaction that executed blocks committed: what they added to the running sums stays. */
    public synchronized void committed() {
        for (Watched w : watched.values()) {
            w.uncommitted = false;
        }
    }

    /**
     * The transaction that executed blocks rolled back: their changes are dropped, and a running sum they had
     * already joined is no longer to be trusted (the table is counted again).
     */
    public synchronized void rolledBack() {
        for (Watched w : watched.values()) {
            java.util.Arrays.fill(w.pending, (byte) 0);
            w.pendingAny = false;
            w.disturbed |= w.uncommitted;
            w.uncommitted = false;
        }
    }

    private static void addInto(byte[] into, byte[] add) {
        byte[] s = StateCommitment.sum(java.util.List.of(into, add));
        System.arraycopy(s, 0, into, 0, s.length);
    }
}

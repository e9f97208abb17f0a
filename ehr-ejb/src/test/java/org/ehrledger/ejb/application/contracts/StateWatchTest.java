package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.junit.jupiter.api.Test;

/** The running sum of the changes made to rows a check already counted. */
class StateWatchTest {

    private static byte[] digest(String key, String body) {
        return StateCommitment.rowDigest("STATE_CONSENT", key, body.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sumOf(byte[]... digests) {
        byte[] acc = new byte[StateCommitment.BYTES];
        for (byte[] d : digests) {
            StateCommitment.apply(acc, d, 1);
        }
        return acc;
    }

    private static byte[] plus(byte[] a, byte[] b) {
        return StateCommitment.sum(java.util.List.of(a, b));
    }

    @Test
    void rowsAsReadPlusTheChangesToCountedKeysEqualTheTableAsItIsAtTheEnd() {
        StateWatch w = new StateWatch();
        w.start(StateTable.CONSENT);
        // The check reads a page: a=1, b=1.
        byte[] read = sumOf(digest("a", "1"), digest("b", "1"));
        w.counted(StateTable.CONSENT, "b", false);
        // A block changes a twice, deletes b, inserts c (after the cursor: read later as it is) and inserts ab.
        w.changed(StateTable.CONSENT, "a", digest("a", "1"), digest("a", "2"));
        w.changed(StateTable.CONSENT, "a", digest("a", "2"), digest("a", "3"));
        w.changed(StateTable.CONSENT, "b", digest("b", "1"), null);
        w.changed(StateTable.CONSENT, "ab", null, digest("ab", "1"));
        w.changed(StateTable.CONSENT, "c", null, digest("c", "1"));
        w.blockEnded();
        w.committed();
        // The next page: c=1, then the end.
        read = plus(read, sumOf(digest("c", "1")));
        w.counted(StateTable.CONSENT, "c", true);
        // A block after the end changes c.
        w.changed(StateTable.CONSENT, "c", digest("c", "1"), digest("c", "2"));
        w.blockEnded();
        w.committed();
        StateWatch.Changes changes = w.stop(StateTable.CONSENT);
        assertTrue(changes.trustworthy());
        assertEquals(5, changes.changes(), "the change of c before it was read is not counted");
        assertArrayEquals(sumOf(digest("a", "3"), digest("ab", "1"), digest("c", "2")), plus(read, changes.delta()));
    }

    @Test
    void aBlockRolledBackBeforeItEndedIsDroppedAndOneRolledBackAfterItEndedMakesTheCountUntrusted() {
        StateWatch w = new StateWatch();
        w.start(StateTable.CONSENT);
        w.counted(StateTable.CONSENT, "m", false);
        w.changed(StateTable.CONSENT, "a", null, digest("a", "1"));
        w.rolledBack(); // failed while executing: nothing of it joined the sum
        w.changed(StateTable.CONSENT, "b", null, digest("b", "1"));
        w.blockEnded();
        w.committed();
        w.rolledBack(); // a later transaction that ended no block
        StateWatch.Changes kept = w.stop(StateTable.CONSENT);
        assertTrue(kept.trustworthy());
        assertArrayEquals(sumOf(digest("b", "1")), kept.delta());

        w.start(StateTable.CONSENT);
        w.counted(StateTable.CONSENT, "m", false);
        w.changed(StateTable.CONSENT, "a", null, digest("a", "1"));
        w.blockEnded();
        w.rolledBack(); // the block ended, then its transaction did not commit
        assertTrue(w.stop(StateTable.CONSENT).disturbed());
    }

    @Test
    void pagesThatDoNotComeInKeyOrderMakeTheCountUntrusted() {
        StateWatch w = new StateWatch();
        w.start(StateTable.CONSENT);
        w.counted(StateTable.CONSENT, "m", false);
        w.counted(StateTable.CONSENT, "c", false);
        StateWatch.Changes c = w.stop(StateTable.CONSENT);
        assertTrue(c.misordered());
        assertFalse(c.trustworthy());
    }

    @Test
    void aTableNotWatchedCostsNothingAndKeepsNoChange() {
        StateWatch w = new StateWatch();
        assertFalse(w.active());
        w.changed(StateTable.CONSENT, "a", null, digest("a", "1"));
        w.blockEnded();
        w.start(StateTable.USER);
        w.changed(StateTable.CONSENT, "a", null, digest("a", "1"));
        assertEquals(0, w.stop(StateTable.CONSENT).changes());
        assertArrayEquals(new byte[StateCommitment.BYTES], w.stop(StateTable.USER).delta());
    }
}

package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.Category;
import org.junit.jupiter.api.Test;

/** The world state's digest commits to every row (the ledger's tests: StateTablesTest in application.ledger). */
class WorldStateTest {

    @Test
    void theStateDigestDiffersWhenOneRowDiffers() {
        WorldState one = new WorldState();
        WorldState other = new WorldState();
        one.logAccess("tx-1", new AccessEvent(1, "pat-alice", "dr-house", "st-mary", Category.NOTE, AccessBasis.CONSENT,
                "follow-up"));
        other.logAccess("tx-1", new AccessEvent(1, "pat-alice", "dr-house", "st-mary", Category.NOTE, AccessBasis.CONSENT,
                "follow-up!"));
        assertNotEquals(one.digest(), other.digest());
        assertNotEquals(new WorldState().digest(), one.digest());
    }
}

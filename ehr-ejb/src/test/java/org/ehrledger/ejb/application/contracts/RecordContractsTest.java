package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Set;

import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.Category;
import org.junit.jupiter.api.Test;

/** The records family alone: who writes a record, and who its key may be wrapped for. */
class RecordContractsTest extends ContractsHarness {

    @Test
    void aRecordAndItsKeyWrapsAreAddedOnlyWhenItsChangeIsApplied() {
        RecordContracts records = new RecordContracts(state, parties(), state.access(), new ImportContracts(state, parties(), state.access()));
        Runnable change = validate(tx -> records.addRecord(tx, now, null),
                a.addRecord(a.alice, a.alice, "r-1", "NOTE", a.alice, a.stMaryCustodian).tx());
        assertNull(state.record("r-1"), "validating changes nothing");
        change.run();
        assertEquals(Category.NOTE, state.record("r-1").category());
        assertEquals(Set.of("pat-alice", "org:st-mary"), state.readersOf("r-1"));
    }

    @Test
    void aPractitionerWithoutABasisIsRefusedWithThePolicysReason() {
        RecordContracts records = new RecordContracts(state, parties(), state.access(), new ImportContracts(state, parties(), state.access()));
        String why = refusedBy(tx -> records.addRecord(tx, now, null),
                a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor).tx());
        assertEquals(AccessPolicy.refusal(state.user("dr-house"), Category.NOTE, "pat-alice"), why);
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        why = refusedBy(tx -> records.addRecord(tx, now, null),
                a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor, a.biller).tx());
        assertEquals("the record key is wrapped for bill-1, who may not read it", why);
    }
}

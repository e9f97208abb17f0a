package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The keys and erasure family alone: crypto-shredding a record. */
class KeyContractsTest extends ContractsHarness {

    @Test
    void anErasureByThePatientShredsEveryKeyWrapOnlyWhenItsChangeIsApplied() {
        ok(a.addRecord(a.alice, a.alice, "r-1", "NOTE", a.alice, a.stMaryCustodian));
        KeyContracts keys = new KeyContracts(state, parties());
        assertEquals("only the patient or an administrator of st-mary erases a record",
                refusedBy(keys::eraseRecord, a.erase(a.bob, "r-1", "GDPR Art. 17 request 42")));
        assertEquals("erasure needs its legal basis (e.g. GDPR Art. 17 request reference)",
                refusedBy(keys::eraseRecord, a.erase(a.alice, "r-1", "no")));
        Runnable change = validate(keys::eraseRecord, a.erase(a.alice, "r-1", "GDPR Art. 17 request 42"));
        assertFalse(state.record("r-1").erased(), "validating changes nothing");
        assertEquals(Set.of("pat-alice", "org:st-mary"), state.readersOf("r-1"));
        change.run();
        assertTrue(state.record("r-1").erased());
        assertEquals(Set.of(), state.readersOf("r-1"));
        assertEquals(List.of("r-1"), state.takeErasures());
    }
}

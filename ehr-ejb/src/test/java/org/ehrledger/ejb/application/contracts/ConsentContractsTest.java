package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** The consent family alone: granting and revoking a patient's consent, and the key wraps that follow. */
class ConsentContractsTest extends ContractsHarness {

    @Test
    void aConsentIsGrantedOnlyByThePatientToSomeoneWhoExists() {
        ConsentContracts consents = new ConsentContracts(state, parties(), state.access());
        assertEquals("only the patient grants consent to their record",
                refusedBy(tx -> consents.grant(tx, now), a.grant(a.doctor, "c-1", "dr-house", 0, "NOTE")));
        assertEquals("unknown grantee org:nowhere",
                refusedBy(tx -> consents.grant(tx, now), a.grant(a.alice, "c-1", "org:nowhere", 0, "NOTE")));
        Runnable change = validate(tx -> consents.grant(tx, now), a.grant(a.alice, "c-1", "org:lakeside", 0, "ALLERGY"));
        assertNull(state.consent("c-1"), "validating changes nothing");
        change.run();
        assertEquals("org:lakeside", state.consent("c-1").grantee());
    }

    @Test
    void revokingAConsentTakesTheWrapsOfReadersLeftWithoutABasisAndKeepsThePatientsAndTheCustodians() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor, a.stMaryCustodian));
        ConsentContracts consents = new ConsentContracts(state, parties(), state.access());
        Runnable change = validate(tx -> consents.revoke(tx, now), a.revoke(a.alice, "c-1"));
        assertEquals(Set.of("pat-alice", "dr-house", "org:st-mary"), state.readersOf("r-1"), "validating changes nothing");
        assertFalse(state.consent("c-1").revoked());
        change.run();
        assertTrue(state.consent("c-1").revoked());
        assertEquals(Set.of("pat-alice", "org:st-mary"), state.readersOf("r-1"));
        assertEquals("consent c-1 is already revoked", refusedBy(tx -> consents.revoke(tx, now), a.revoke(a.alice, "c-1")));
    }

    @Test
    void aRevocationJudgesEachReaderPerCategoryAcrossAllTheRecordsOfThePatient() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.grant(a.alice, "c-2", "dr-house", 0, "ALLERGY"));
        for (int i = 0; i < 20; i++) {
            ok(a.addRecord(a.doctor, a.alice, "n-" + i, "NOTE", a.alice, a.doctor, a.stMaryCustodian));
            ok(a.addRecord(a.doctor, a.alice, "a-" + i, "ALLERGY", a.alice, a.doctor, a.stMaryCustodian));
        }
        ok(a.revoke(a.alice, "c-1"));
        for (int i = 0; i < 20; i++) {
            assertEquals(Set.of("pat-alice", "org:st-mary"), state.readersOf("n-" + i), "n-" + i);
            assertEquals(Set.of("pat-alice", "dr-house", "org:st-mary"), state.readersOf("a-" + i), "a-" + i);
        }
    }
}

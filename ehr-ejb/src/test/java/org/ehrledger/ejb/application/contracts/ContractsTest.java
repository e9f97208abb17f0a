package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.junit.jupiter.api.Test;

/** The contracts' authorisation rules, run without a container. */
class ContractsTest extends ContractsHarness {

    @Test
    void theRegistryRecordsRolesFromTheSigningAdministrator() {
        assertEquals(Role.PRACTITIONER, state.user("dr-house").role());
        assertEquals("st-mary", state.user("dr-house").organisation());
        assertEquals("lakeside", state.user("dr-wilson").organisation());
        assertEquals(Role.PATIENT, state.user("pat-alice").role());
        // A practitioner cannot register staff; a patient cannot register twice; no second genesis.
        Actors.Person nurse = a.new Person("nurse-1", a.hospital, "PRACTITIONER");
        assertTrue(refused(a.registerStaff(a.doctor, nurse, TxType.REGISTER_PRACTITIONER)).contains("administrator"));
        assertTrue(refused(a.registerPatient(a.alice, "st-mary")).contains("taken"));
        // An admin of one organisation cannot certify with another organisation's CA.
        Actors.Person foreign = a.new Person("dr-foreign", a.clinic, "PRACTITIONER");
        assertTrue(refused(a.registerStaff(a.admin, foreign, TxType.REGISTER_PRACTITIONER)).contains("CA"));
        // REGISTER_PRACTITIONER cannot create administrators.
        Actors.Person sneaky = a.new Person("admin-x", a.hospital, "ADMIN");
        assertTrue(refused(a.registerStaff(a.admin, sneaky, TxType.REGISTER_PRACTITIONER)).contains("role ADMIN"));
    }

    @Test
    void identityComesFromTheSignatureNeverFromTheAuthorField() {
        // Mallory (an unregistered key) signs a read naming the doctor as author.
        Actors.Person mallory = a.new Person("mallory", a.hospital, "PRACTITIONER");
        byte[] forged = mallory.signAs("dr-house", TxType.RECORD_ACCESS,
                Fields.builder().put("patient", "pat-alice").put("category", "NOTE").put("reason", "x").build());
        assertTrue(refused(forged).contains("signature does not verify"));
        byte[] unknown = mallory.sign(TxType.RECORD_ACCESS,
                Fields.builder().put("patient", "pat-alice").put("category", "NOTE").put("reason", "x").build());
        assertTrue(refused(unknown).contains("unknown author"));
    }

    @Test
    void aDoctorWithoutConsentIsRefusedAndTheRefusalSaysWhatToDo() {
        String why = refused(a.read(a.doctor, a.alice, "NOTE", "follow-up"));
        assertTrue(why.contains("no consent of pat-alice covers NOTE"), why);
        assertTrue(why.contains("break-glass"), why);
        assertTrue(refused(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor)).contains("no consent"));
        assertEquals(List.of(), state.accessLog("pat-alice"), "a refused read is not an access");
    }

    @Test
    void consentGrantLetsTheDoctorReadAndWriteUntilRevoked() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE", "PRESCRIPTION"));
        ok(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor));
        ok(a.addRecord(a.doctor, a.alice, "rx-1", "PRESCRIPTION", a.alice, a.doctor));
        ok(a.read(a.doctor, a.alice, "NOTE", "follow-up visit"));
        assertEquals(java.util.Set.of("pat-alice", "dr-house"), state.readersOf("r-1"));
        refused(a.read(a.doctor, a.alice, "ALLERGY", "not covered"));

        ok(a.revoke(a.alice, "c-1"));
        String why = refused(a.read(a.doctor, a.alice, "NOTE", "after revoke"));
        assertTrue(why.contains("no consent"), why);
        assertEquals(java.util.Set.of("pat-alice"), state.readersOf("r-1"), "revoking removes the doctor's key wraps");
        assertTrue(refused(a.addRecord(a.alice, a.alice, "r-2", "NOTE", a.alice, a.doctor)).contains("may not read"),
                "later records are not wrapped for a revoked reader");

        List<AccessEvent> log = state.accessLog("pat-alice");
        assertEquals(1, log.size());
        assertEquals(AccessBasis.CONSENT, log.get(0).basis());
        assertEquals("dr-house", log.get(0).reader());
    }

    @Test
    void onlyTheCustodianOfThePatientsOrganisationHoldsAKeyWrapAndKeepsItWhenConsentEnds() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor, a.stMaryCustodian));
        assertEquals(java.util.Set.of("pat-alice", "dr-house", "org:st-mary"), state.readersOf("r-1"));
        // Another organisation's custodian never holds a wrap of this patient's records.
        String why = refused(a.addRecord(a.alice, a.alice, "r-2", "NOTE", a.alice, a.lakesideCustodian));
        assertTrue(why.contains("only the custodian of the patient's organisation"), why);
        // Lakeside registered no custodian key, so none of its patients' records can name one.
        assertTrue(refused(a.addRecord(a.bob, a.bob, "r-3", "NOTE", a.bob, a.lakesideCustodian)).contains("custodian"));
        // Withdrawing consent removes the doctor's wrap; the custodian's stays (it serves only committed reads).
        ok(a.revoke(a.alice, "c-1"));
        assertEquals(java.util.Set.of("pat-alice", "org:st-mary"), state.readersOf("r-1"));
        assertEquals(AccessBasis.OWNER, state.access().basis("pat-alice", "pat-alice",
                org.ehrledger.ejb.domain.model.record.Category.NOTE, now));
        assertEquals(null, state.access().basis("dr-house", "pat-alice", org.ehrledger.ejb.domain.model.record.Category.NOTE, now));
    }

    @Test
    void billingStaffAcknowledgeABillableEventOnceUnderABillingConsent() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE", "PRESCRIPTION"));
        ok(a.addRecord(a.doctor, a.alice, "rx-1", "PRESCRIPTION", a.alice, a.doctor));
        ok(a.addRecord(a.doctor, a.alice, "n-1", "NOTE", a.alice, a.doctor));
        assertTrue(refused(a.billed(a.biller, "rx-1", "INV-1")).contains("no billing consent"));
        ok(a.grant(a.alice, "c-2", "bill-1", 0, "PRESCRIPTION", "NOTE"));
        assertTrue(refused(a.billed(a.doctor, "rx-1", "INV-1")).contains("only billing staff"));
        assertTrue(refused(a.billed(a.biller, "n-1", "INV-1")).contains("no billable record"));
        ok(a.billed(a.biller, "rx-1", "INV-1"));
        assertEquals("INV-1", state.billed("rx-1").invoice());
        assertEquals("bill-1", state.billed("rx-1").by());
        assertTrue(refused(a.billed(a.biller, "rx-1", "INV-2")).contains("already billed (invoice INV-1)"));
    }

    @Test
    void anExpiredConsentNoLongerCovers() {
        ok(a.grant(a.alice, "c-2", "dr-house", now + 5_000, "NOTE"));
        ok(a.read(a.doctor, a.alice, "NOTE", "within the window"));
        now += 10_000;
        assertTrue(refused(a.read(a.doctor, a.alice, "NOTE", "too late")).contains("no consent"));
        assertTrue(refused(a.grant(a.alice, "c-3", "dr-house", now - 1, "NOTE")).contains("expired"));
    }

    @Test
    void consentToAnOrganisationCoversItsPractitioners() {
        ok(a.grant(a.bob, "c-org", "org:st-mary", 0, "ALLERGY"));
        ok(a.read(a.doctor, a.bob, "ALLERGY", "pre-op check"));
        refused(a.read(a.otherDoctor, a.bob, "ALLERGY", "another organisation"));
    }

    @Test
    void breakGlassIsTimeLimitedReasonedAndVisibleToThePatient() {
        assertTrue(refused(a.breakGlass(a.doctor, a.alice, "short", 30)).contains("reason"));
        assertTrue(refused(a.breakGlass(a.doctor, a.alice, "unconscious in the ER", 600)).contains("minutes"));
        assertTrue(refused(a.breakGlass(a.biller, a.alice, "unconscious in the ER", 30)).contains("practitioners"));
        ok(a.breakGlass(a.doctor, a.alice, "unconscious in the ER, allergies needed", 30));
        ok(a.read(a.doctor, a.alice, "ALLERGY", "emergency treatment"));
        AccessEvent e = state.accessLog("pat-alice").get(0);
        assertEquals(AccessBasis.BREAK_GLASS, e.basis());
        assertEquals("emergency treatment", e.reason());
        now += 31 * 60_000;
        assertTrue(refused(a.read(a.doctor, a.alice, "ALLERGY", "after expiry")).contains("no consent"));
    }

    @Test
    void administratorsNeverReadAndBillingSeesOnlyBillingItemsUnderConsent() {
        assertTrue(refused(a.read(a.admin, a.alice, "NOTE", "audit")).contains("administrators"));
        ok(a.grant(a.alice, "c-bill", "bill-1", 0, "PRESCRIPTION", "NOTE"));
        ok(a.read(a.biller, a.alice, "PRESCRIPTION", "invoice"));
        assertTrue(refused(a.read(a.biller, a.alice, "NOTE", "curious")).contains("billing"));
    }

    @Test
    void aPatientAlwaysReadsTheirOwnRecordButNobodyElses() {
        ok(a.read(a.alice, a.alice, "NOTE", ""));
        assertEquals(AccessBasis.OWNER, state.accessLog("pat-alice").get(0).basis());
        refused(a.read(a.alice, a.bob, "NOTE", "peeking"));
        assertEquals(List.of(), state.accessLog("pat-bob"));
    }

    @Test
    void replayedMalformedAndRevokedTransactionsChangeNothing() {
        byte[] grant = a.grant(a.alice, "c-9", "dr-house", 0, "NOTE");
        ok(grant);
        assertTrue(refused(grant).contains("replayed"));
        assertTrue(refused(new byte[] {1, 2, 3}).contains("malformed"));
        ok(a.admin.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "dr-house").build()));
        assertTrue(refused(a.read(a.doctor, a.alice, "NOTE", "after revocation")).contains("revoked"));
        assertTrue(refused(a.clinicAdmin.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "pat-alice")
                .build())).contains("only the user or an administrator of st-mary"));
        assertTrue(refused(a.doctor.sign(TxType.RECORD_ACCESS, Fields.builder().put("patient", "pat-alice").build()))
                .contains("revoked"));
    }

    @Test
    void aRecordKeyMustBeWrappedForThePatientAndOnlyForAuthorisedReaders() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        assertTrue(refused(a.addRecord(a.doctor, a.alice, "r-5", "NOTE", a.doctor)).contains("for the patient"));
        assertTrue(refused(a.addRecord(a.doctor, a.alice, "r-5", "NOTE", a.alice, a.otherDoctor)).contains("may not read"));
        assertTrue(refused(a.addRecord(a.alice, a.alice, "rx-9", "PRESCRIPTION", a.alice)).contains("prescribe"));
        ok(a.addRecord(a.doctor, a.alice, "r-5", "NOTE", a.alice, a.doctor));
        assertTrue(refused(a.addRecord(a.doctor, a.alice, "r-5", "NOTE", a.alice)).contains("already exists"));
    }
}

package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Set;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.junit.jupiter.api.Test;

/** Emergency state, demographics, key rotation and crypto-shredding. */
class MoreContractsTest extends ContractsHarness {

    @Test
    void theEmergencyStateNeedsAQuorumOfAdministratorsAndIsAuditedAndTimeLimited() {
        ok(a.emergency(a.admin, true, "mass casualty event on the A1", 120));
        assertFalse(state.emergency().active(), "one administrator is not a quorum");
        assertTrue(refused(a.read(a.otherDoctor, a.alice, "ALLERGY", "triage")).contains("no consent"));
        // The same organisation voting again does not make a quorum either.
        Actors.Person admin3 = a.new Person("admin-3", a.hospital, "ADMIN");
        ok(a.registerStaff(a.admin, admin3, TxType.REGISTER_ADMIN));
        ok(a.emergency(admin3, true, "mass casualty event on the A1", 120));
        assertFalse(state.emergency().active());
        assertTrue(refused(a.emergency(a.doctor, true, "I want to read everything", 60)).contains("administrators"));

        ok(a.emergency(a.clinicAdmin, true, "mass casualty event on the A1", 60));
        assertTrue(state.emergency().active());
        assertEquals(Set.of("admin-3", "admin-2"), state.emergency().declaredBy());
        ok(a.read(a.otherDoctor, a.alice, "ALLERGY", "triage of casualties"));
        assertEquals(AccessBasis.EMERGENCY, state.accessLog("pat-alice").get(0).basis());
        assertTrue(refused(a.read(a.admin, a.alice, "NOTE", "admins still cannot")).contains("administrators"));

        ok(a.emergency(a.admin, false, "situation under control", 0));
        assertTrue(state.emergency().active(), "ending needs a quorum too");
        ok(a.emergency(a.clinicAdmin, false, "situation under control", 0));
        assertFalse(state.emergency().active());
        assertTrue(refused(a.read(a.otherDoctor, a.alice, "ALLERGY", "after the end")).contains("no consent"));
    }

    @Test
    void theEmergencyStateEndsByItselfAtItsDeadline() {
        ok(a.emergency(a.admin, true, "regional power outage", 30));
        ok(a.emergency(a.clinicAdmin, true, "regional power outage", 10));
        ok(a.read(a.doctor, a.alice, "NOTE", "outage ward round"));
        now += 11 * 60_000;
        assertTrue(refused(a.read(a.doctor, a.alice, "NOTE", "too late")).contains("no consent"));
    }

    @Test
    void onlyThePatientUpdatesTheirDemographics() {
        ok(new Actors.Submission(a.alice.sign(TxType.UPDATE_DEMOGRAPHICS, demographics("d-1")), CONTENT));
        assertEquals("DEMOGRAPHICS", state.record("d-1").category().name());
        assertTrue(refused(new Actors.Submission(a.doctor.sign(TxType.UPDATE_DEMOGRAPHICS, demographics("d-2")), CONTENT))
                .contains("only the patient"));
    }

    private static final byte[] CONTENT = "ciphertext of the demographics".getBytes();

    private Fields demographics(String id) {
        byte[] key = org.ehrledger.ejb.infrastructure.crypto.RecordCipher.newDataKey();
        return Fields.builder().put("recordId", id).put("patient", "pat-alice").put("category", "DEMOGRAPHICS")
                .put("contentHash", org.ehrledger.consensus.codec.Digest.sha256(CONTENT).bytes())
                .put("size", CONTENT.length).put("wraps", List.of(a.alice.wrapFor(key, id))).build();
    }

    @Test
    void aRotatedKeyReplacesTheOldOneForSignaturesAndRecordKeys() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        byte[] dataKey = org.ehrledger.ejb.infrastructure.crypto.RecordCipher.newDataKey();
        ok(new Actors.Submission(a.doctor.sign(TxType.ADD_RECORD, Fields.builder().put("recordId", "r-1")
                .put("patient", "pat-alice").put("category", "NOTE")
                .put("contentHash", org.ehrledger.consensus.codec.Digest.sha256(CONTENT).bytes()).put("size", CONTENT.length)
                .put("wraps", List.of(a.alice.wrapFor(dataKey, "r-1"), a.doctor.wrapFor(dataKey, "r-1"))).build()),
                CONTENT));

        UserKeys fresh = UserKeys.generate();
        String rewrapped = "r-1:" + Base64.getEncoder().encodeToString(
                KeyWrap.wrap(dataKey, fresh.encryption().getPublic(), "r-1".getBytes()).encode());
        try {
            ok(a.doctor.sign(TxType.ROTATE_KEY, Fields.builder()
                    .put("signingKey", fresh.signing().getPublic().getEncoded())
                    .put("encryptionKey", fresh.encryption().getPublic().getEncoded())
                    .put("signingCertificate", a.hospital.certify("dr-house", "PRACTITIONER", fresh.signing().getPublic()).getEncoded())
                    .put("encryptionCertificate", a.hospital.certify("dr-house", "PRACTITIONER", fresh.encryption().getPublic()).getEncoded())
                    .put("wraps", List.of(rewrapped)).build()));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
        // The old key no longer signs for the doctor; the new wrap opens with the new key.
        assertTrue(refused(a.read(a.doctor, a.alice, "NOTE", "with the old key")).contains("signature does not verify"));
        byte[] wrap = state.wrappedKey("r-1", "dr-house");
        assertEquals(java.util.HexFormat.of().formatHex(dataKey), java.util.HexFormat.of().formatHex(
                KeyWrap.unwrap(KeyWrap.Wrapped.decode(wrap), fresh.encryption().getPrivate(),
                        fresh.encryption().getPublic(), "r-1".getBytes())));
    }

    @Test
    void erasureCryptoShredsTheRecordButKeepsItsHash() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.addRecord(a.doctor, a.alice, "r-9", "NOTE", a.alice, a.doctor));
        var hash = state.record("r-9").contentHash();
        assertTrue(refused(a.erase(a.doctor, "r-9", "GDPR Art. 17")).contains("only the patient or an administrator"));
        assertTrue(refused(a.erase(a.alice, "r-9", "")).contains("legal basis"));
        ok(a.erase(a.alice, "r-9", "GDPR Art. 17 request 2026-113"));
        assertTrue(state.record("r-9").erased());
        assertEquals(hash, state.record("r-9").contentHash(), "the hash stays on chain");
        assertNull(state.wrappedKey("r-9", "pat-alice"), "no reader can unwrap the data key");
        assertEquals(List.of("r-9"), state.takeErasures(), "the off-chain store is told to destroy the ciphertext");
        String why = refused(a.alice.sign(TxType.RECORD_ACCESS, Fields.builder().put("patient", "pat-alice")
                .put("category", "NOTE").put("recordId", "r-9").put("reason", "").build()));
        assertTrue(why.contains("erased"), why);
        assertTrue(refused(a.erase(a.admin, "r-9", "court order 17/2026")).contains("already erased"));
        assertNotNull(state.record("r-9"));
    }

    @Test
    void aPatientsRecordsAndAccessLogAreInCommitOrderWhateverTheirIds() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        for (String id : List.of("r-z", "r-a", "r-m")) {
            ok(a.addRecord(a.doctor, a.alice, id, "NOTE", a.alice, a.doctor));
        }
        ok(a.addRecord(a.bob, a.bob, "r-b", "NOTE", a.bob));
        assertEquals(List.of("r-z", "r-a", "r-m"), state.recordsOf("pat-alice").stream().map(r -> r.id()).toList(),
                "the order the ledger committed them in (lists show them newest first)");
        ok(a.erase(a.alice, "r-a", "GDPR Art. 17 request 2026-114"));
        assertEquals(List.of("r-z", "r-a", "r-m"), state.recordsOf("pat-alice").stream().map(r -> r.id()).toList());
        assertTrue(state.recordsOf("pat-alice").get(1).erased(), "an erasure replaces the record in place");
        assertEquals(List.of("r-b"), state.recordsOf("pat-bob").stream().map(r -> r.id()).toList());

        ok(a.read(a.doctor, a.alice, "NOTE", "first"));
        ok(a.read(a.bob, a.bob, "NOTE", "own"));
        ok(a.read(a.doctor, a.alice, "NOTE", "second"));
        assertEquals(List.of("first", "second"), state.accessLog("pat-alice").stream().map(e -> e.reason()).toList());
        assertEquals(List.of("own"), state.accessLog("pat-bob").stream().map(e -> e.reason()).toList());
    }
}

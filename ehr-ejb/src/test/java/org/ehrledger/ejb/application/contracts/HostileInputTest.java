package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.junit.jupiter.api.Test;

/** Hostile transactions get a clear refusal, never an exception, and change nothing. */
class HostileInputTest extends ContractsHarness {

    private static byte[] deeplyNested() {
        byte[] b = new byte[12_000];
        for (int i = 0; i < 6_000; i += 2) {
            b[i] = 0x30;
            b[i + 1] = (byte) 0x80;
        }
        return b;
    }

    @Test
    void deeplyNestedKeysAndCertificatesAreRefusedWithoutParsing() {
        Actors.Person mallory = a.new Person("mallory", a.hospital, "PATIENT");
        byte[] tx = mallory.sign(TxType.REGISTER_PATIENT, Fields.builder().put("organisation", "st-mary")
                .put("signingKey", deeplyNested()).put("encryptionKey", deeplyNested())
                .put("signingCertificate", deeplyNested()).put("encryptionCertificate", deeplyNested()).build());
        String why = refused(tx);
        assertTrue(why.contains("key"), why);
        assertThrows(CryptoException.class, () -> MembershipCa.parse(deeplyNested()));
        assertNull(state.user("mallory"));
    }

    @Test
    void identifiersAreBoundedAndCannotPoseAsAnOrganisation() {
        Actors.Person impostor = a.new Person("org:st-mary", a.clinic, "PRACTITIONER");
        assertTrue(refused(a.registerStaff(a.clinicAdmin, impostor, TxType.REGISTER_PRACTITIONER)).contains("letters"));
        Actors.Person longId = a.new Person("x".repeat(300), a.hospital, "PRACTITIONER");
        String why = refused(a.registerStaff(a.admin, longId, TxType.REGISTER_PRACTITIONER));
        assertTrue(why.length() <= 1000, "reasons stay short enough for the database");
        byte[] longAuthor = a.doctor.signAs("y".repeat(3000), TxType.RECORD_ACCESS, Fields.builder().build());
        assertTrue(refused(longAuthor).contains("malformed"));
    }

    @Test
    void aRecordWithoutItsContentIsRefusedButNotBurnt() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        Actors.Submission note = a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor);
        assertTrue(refused(note.tx()).startsWith(Contracts.CONTENT_REFUSAL));
        assertTrue(refused(new Actors.Submission(note.tx(), "wrong".getBytes())).startsWith(Contracts.CONTENT_REFUSAL));
        ok(note); // the genuine submission still goes through afterwards
        assertTrue(refused(note).contains("replayed"));
    }

    @Test
    void consentCannotSlipRecordKeysToAdministratorsOrBillingForClinicalNotes() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor));
        byte[] forAdmin = a.alice.sign(TxType.GRANT_CONSENT, Fields.builder().put("consentId", "c-2")
                .put("grantee", "admin-1").put("categories", List.of("NOTE")).put("expiresAt", 0L)
                .put("wraps", List.of("r-1/" + a.admin.wrapFor(new byte[32], "r-1"))).build());
        assertTrue(refused(forAdmin).contains("lets that reader read"));
        byte[] forBilling = a.alice.sign(TxType.GRANT_CONSENT, Fields.builder().put("consentId", "c-3")
                .put("grantee", "bill-1").put("categories", List.of("NOTE")).put("expiresAt", 0L)
                .put("wraps", List.of("r-1/" + a.biller.wrapFor(new byte[32], "r-1"))).build());
        assertTrue(refused(forBilling).contains("lets that reader read"));
        assertEquals(java.util.Set.of("pat-alice", "dr-house"), state.readersOf("r-1"));
    }

    @Test
    void aPractitionerCannotWriteDemographicsThroughAddRecord() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE", "DEMOGRAPHICS"));
        assertTrue(refused(a.addRecord(a.doctor, a.alice, "d-1", "DEMOGRAPHICS", a.alice, a.doctor))
                .contains("only the patient"));
    }

    @Test
    void aNonCanonicalEncodingOfASignedTransactionIsRefused() {
        byte[] tx = a.doctor.sign(TxType.RECORD_ACCESS, Fields.builder().put("patient", "pat-alice")
                .put("category", "NOTE").put("reason", "chart review \uFFFD").build());
        int at = indexOf(tx, new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD});
        byte[] mangled = Arrays.copyOf(tx, tx.length);
        mangled[at] = (byte) 0xFF; // invalid UTF-8 that a lenient decoder would turn into U+FFFD again
        assertThrows(MalformedMessageException.class, () -> SignedTransaction.decode(mangled));
        assertTrue(refused(mangled).contains("malformed"));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void aCertificateIssuedToSomeoneElseOrAnotherRoleDoesNotRegister() throws Exception {
        // Mallory holds a genuine St Mary patient certificate for her key, issued to "mallory" as PATIENT.
        Actors.Person mallory = a.new Person("mallory", a.hospital, "PATIENT");
        byte[] signingCert = mallory.cert(true);
        byte[] encryptionCert = mallory.cert(false);
        // She tries to claim a known medical record number with it.
        byte[] squat = mallory.signAs("p-123", TxType.REGISTER_PATIENT, Fields.builder().put("organisation", "st-mary")
                .put("signingKey", mallory.signingKey()).put("encryptionKey", mallory.encryptionKey())
                .put("signingCertificate", signingCert).put("encryptionCertificate", encryptionCert).build());
        assertTrue(refused(squat).contains("not issued to p-123"));
        // An administrator cannot turn a patient certificate into a practitioner either.
        byte[] promote = a.admin.sign(TxType.REGISTER_PRACTITIONER, Fields.builder().put("userId", "mallory")
                .put("role", "PRACTITIONER").put("signingKey", mallory.signingKey())
                .put("encryptionKey", mallory.encryptionKey()).put("signingCertificate", signingCert)
                .put("encryptionCertificate", encryptionCert).build());
        assertTrue(refused(promote).contains("as PRACTITIONER"));
    }

    @Test
    void aRevokedReaderLosesEveryKeyWrap() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        ok(a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor));
        ok(a.admin.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "dr-house").build()));
        assertEquals(java.util.Set.of("pat-alice"), state.readersOf("r-1"));
    }

    @Test
    void aNewOrganisationNeedsAMajorityOfMemberOrganisations() throws Exception {
        MembershipCa puppetCa = MembershipCa.create("Puppet", Actors.ISSUED);
        Actors.Person puppetAdmin = a.new Person("admin-p", puppetCa, "ADMIN");
        Fields proposal = Fields.builder().put("organisation", "puppet").put("name", "Puppet Clinic")
                .put("caCertificate", puppetCa.certificate().getEncoded()).put("adminId", "admin-p")
                .put("adminSigningKey", puppetAdmin.signingKey()).put("adminEncryptionKey", puppetAdmin.encryptionKey())
                .put("adminSigningCertificate", puppetAdmin.cert(true))
                .put("adminEncryptionCertificate", puppetAdmin.cert(false)).build();
        ok(a.admin.sign(TxType.REGISTER_ORGANISATION, proposal));
        assertNull(state.organisation("puppet"), "one organisation of two is no majority");
        assertEquals(java.util.Set.of("st-mary"), state.admissionVotes("puppet"));
        // A second administrator of the same organisation adds nothing.
        Actors.Person admin3 = a.new Person("admin-3", a.hospital, "ADMIN");
        ok(a.registerStaff(a.admin, admin3, TxType.REGISTER_ADMIN));
        ok(admin3.sign(TxType.REGISTER_ORGANISATION, proposal));
        assertNull(state.organisation("puppet"));
        ok(a.clinicAdmin.sign(TxType.REGISTER_ORGANISATION, proposal));
        assertEquals("Puppet Clinic", state.organisation("puppet").name());
        assertEquals(java.util.Set.of(), state.admissionVotes("puppet"));
    }

    @Test
    void anUnknownAuthorNeverRaisesAnException() {
        Outcome o = contracts.execute(new byte[] {3, 0, 0, 0, 1, 'x'}, now);
        assertFalse(o.accepted());
    }
}

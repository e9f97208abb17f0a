package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;

import org.ehrledger.ejb.domain.model.registry.Recovery;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.junit.jupiter.api.Test;

/** The two-person rules: confirming another administrator's registration, and recovering a lost identity. */
class DutiesContractsTest extends ContractsHarness {

    @Test
    void aPractitionerAnAdministratorRegisteredCannotBreakGlassUntilASecondAdministratorConfirms() {
        Actors.Person own = a.new Person("dr-admin-1", a.hospital, "PRACTITIONER");
        ok(a.registerStaff(a.admin, own, TxType.REGISTER_PRACTITIONER));
        String why = refused(a.breakGlass(own, a.alice, "unconscious in the ER, allergies needed", 30));
        assertTrue(why.contains("awaits confirmation by a second administrator"), why);
        why = refused(a.confirm(a.admin, own));
        assertTrue(why.contains("second, different administrator"), why);
        assertTrue(refused(a.confirm(own, own)).contains("only an administrator"));
        assertTrue(refused(a.confirm(a.clinicAdmin, own)).contains("only an administrator of st-mary"));
        ok(a.confirm(a.secondAdmin, own));
        assertTrue(refused(a.confirm(a.secondAdmin, own)).contains("already confirmed"));
        assertEquals("admin-1", state.user("dr-admin-1").registeredBy());
        assertEquals("admin-1b", state.user("dr-admin-1").confirmedBy());
        ok(a.breakGlass(own, a.alice, "unconscious in the ER, allergies needed", 30));
    }

    @Test
    void aBreakGlassDecidedBeforeTheRuleReplaysAsDecided() {
        Actors.Person own = a.new Person("dr-old", a.hospital, "PRACTITIONER");
        ok(a.registerStaff(a.admin, own, TxType.REGISTER_PRACTITIONER));
        Outcome o = contracts.execute(a.breakGlass(own, a.alice, "unconscious in the ER, allergies needed", 30),
                org.ehrledger.ejb.domain.model.record.BreakGlass.TWO_PERSON_RULE_SINCE - 1);
        assertTrue(o.accepted(), o.reason());
    }

    @Test
    void anAdministratorsKeysCannotBeRegisteredAgainAsAPractitioner() {
        Actors.Person twin = a.new Person("dr-twin", a.hospital, "PRACTITIONER", a.admin.keys);
        String why = refused(a.registerStaff(a.admin, twin, TxType.REGISTER_PRACTITIONER));
        assertTrue(why.contains("registered to another account"), why);
        assertNull(state.user("dr-twin"));
    }

    @Test
    void oneAdministratorAloneCannotRecoverAnIdentity() {
        assertTrue(refused(a.approveRecovery(a.admin, a.alice, "half-b")).contains("no recovery"));
        ok(a.requestRecovery(a.admin, a.alice, "half-a"));
        assertTrue(refused(a.requestRecovery(a.secondAdmin, a.alice, "other")).contains("pending"));
        assertTrue(refused(a.approveRecovery(a.admin, a.alice, "half-b")).contains("second, different administrator"));
        assertTrue(refused(a.approveRecovery(a.clinicAdmin, a.alice, "half-b")).contains("only an administrator of st-mary"));
        Actors.Person renewed = a.new Person("pat-alice", a.hospital, "PATIENT");
        assertTrue(refused(a.completeRecovery(renewed, "half-a", "half-b", List.of())).contains("no approved recovery"));
        // The person cannot ask for their own recovery either.
        assertTrue(refused(a.requestRecovery(a.admin, a.admin, "x")).contains("nobody"));
        // Still the old keys: nothing changed.
        ok(a.read(a.alice, a.alice, "NOTE", ""));
    }

    @Test
    void aRecoveredPatientReadsTheirOldRecordsWithTheNewKeyAndTheOldKeySignsNothing() {
        ok(a.addRecord(a.alice, a.alice, "r-1", "NOTE", a.alice, a.stMaryCustodian));
        ok(a.requestRecovery(a.admin, a.alice, "half-a"));
        ok(a.approveRecovery(a.secondAdmin, a.alice, "half-b"));
        String why = refused(a.read(a.alice, a.alice, "NOTE", ""));
        assertTrue(why.contains("retired by an approved recovery"), why);

        Actors.Person renewed = a.new Person("pat-alice", a.hospital, "PATIENT");
        byte[] context = "r-1".getBytes();
        byte[] dataKey = KeyWrap.unwrap(KeyWrap.Wrapped.decode(state.wrappedKey("r-1", "org:st-mary")),
                a.stMaryCustodian.keys.encryption().getPrivate(), a.stMaryCustodian.keys.encryption().getPublic(), context);
        String wrap = "r-1:" + Base64.getEncoder().encodeToString(
                KeyWrap.wrap(dataKey, renewed.keys.encryption().getPublic(), context).encode());
        assertTrue(refused(a.completeRecovery(renewed, "half-a", "wrong", List.of(wrap))).contains("codes do not match"));
        Actors.Person impostor = a.new Person("pat-alice", a.clinic, "PATIENT");
        assertTrue(refused(a.completeRecovery(impostor, "half-a", "half-b", List.of())).contains("CA"));
        ok(a.completeRecovery(renewed, "half-a", "half-b", List.of(wrap)));

        assertTrue(refused(a.read(a.alice, a.alice, "NOTE", "")).contains("signature does not verify"));
        ok(a.read(renewed, a.alice, "NOTE", ""));
        byte[] reopened = KeyWrap.unwrap(KeyWrap.Wrapped.decode(state.wrappedKey("r-1", "pat-alice")),
                renewed.keys.encryption().getPrivate(), renewed.keys.encryption().getPublic(), context);
        assertArrayEquals(dataKey, reopened);
        List<Recovery> history = state.recoveriesOf("pat-alice");
        assertEquals(1, history.size());
        assertEquals("admin-1", history.get(0).requestedBy());
        assertEquals("admin-1b", history.get(0).approvedBy());
        assertTrue(history.get(0).completedAt() > history.get(0).approvedAt());
        assertNull(state.pendingRecovery("pat-alice"));
        assertTrue(refused(a.completeRecovery(a.new Person("pat-alice", a.hospital, "PATIENT"), "half-a", "half-b",
                List.of())).contains("no approved recovery"), "the codes are single use");
    }

    @Test
    void aRecoveryCannotReWrapRecordsThePersonCouldNotRead() {
        ok(a.addRecord(a.bob, a.bob, "r-bob", "NOTE", a.bob));
        ok(a.requestRecovery(a.admin, a.alice, "half-a"));
        ok(a.approveRecovery(a.secondAdmin, a.alice, "half-b"));
        Actors.Person renewed = a.new Person("pat-alice", a.hospital, "PATIENT", UserKeys.generate());
        String why = refused(a.completeRecovery(renewed, "half-a", "half-b", List.of("r-bob:AAAA")));
        assertTrue(why.contains("not one pat-alice could read"), why);
    }
}

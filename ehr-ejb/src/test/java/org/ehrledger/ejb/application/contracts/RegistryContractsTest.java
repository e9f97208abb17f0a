package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.junit.jupiter.api.Test;

/** The registry family alone: staff registrations and certificate revocations. */
class RegistryContractsTest extends ContractsHarness {

    @Test
    void aRegistrationChangesTheRegistryOnlyWhenItsChangeIsApplied() {
        RegistryContracts registry = new RegistryContracts(state, parties());
        Actors.Person nurse = a.new Person("nurse-1", a.hospital, "PRACTITIONER");
        Runnable change = validate(tx -> registry.registerStaff(tx, now, EnumSet.of(Role.PRACTITIONER, Role.BILLING)),
                a.registerStaff(a.admin, nurse, TxType.REGISTER_PRACTITIONER));
        assertNull(state.user("nurse-1"), "validating changes nothing");
        change.run();
        assertEquals(Role.PRACTITIONER, state.user("nurse-1").role());
        assertEquals("admin-1", state.user("nurse-1").registeredBy());
        assertTrue(state.user("nurse-1").awaitsConfirmation());
    }

    @Test
    void onlyTheUserOrAnAdministratorOfTheirOrganisationRevokesTheirCertificate() {
        RegistryContracts registry = new RegistryContracts(state, parties());
        byte[] byAlice = a.alice.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "dr-house").build());
        assertEquals("only the user or an administrator of st-mary revokes this certificate",
                refusedBy(registry::revokeCertificate, byAlice));
        byte[] byClinic = a.clinicAdmin.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "dr-house").build());
        assertEquals("only the user or an administrator of st-mary revokes this certificate",
                refusedBy(registry::revokeCertificate, byClinic));
        Runnable change = validate(registry::revokeCertificate,
                a.doctor.sign(TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", "dr-house").build()));
        assertFalse(state.user("dr-house").revoked());
        change.run();
        assertTrue(state.user("dr-house").revoked(), "a user revokes their own certificate");
    }
}

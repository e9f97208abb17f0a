package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ehrledger.ejb.domain.model.tx.TxType;
import org.junit.jupiter.api.BeforeEach;

/** A small network (two organisations, staff, a patient) and helpers to run transactions against it. */
abstract class ContractsHarness {

    final Actors a = new Actors();
    WorldState state;
    Contracts contracts;
    long now = Actors.T0;

    Outcome run(byte[] tx) {
        now += 1_000;
        return contracts.execute(tx, now);
    }

    Outcome run(Actors.Submission s) {
        now += 1_000;
        return contracts.execute(s.tx(), s.content(), now);
    }

    void ok(byte[] tx) {
        Outcome o = run(tx);
        assertTrue(o.accepted(), o.reason());
    }

    void ok(Actors.Submission s) {
        Outcome o = run(s);
        assertTrue(o.accepted(), o.reason());
    }

    String refused(byte[] tx) {
        Outcome o = run(tx);
        assertFalse(o.accepted(), "expected a refusal");
        return o.reason();
    }

    String refused(Actors.Submission s) {
        Outcome o = run(s);
        assertFalse(o.accepted(), "expected a refusal");
        return o.reason();
    }

    @BeforeEach
    void network() {
        state = new WorldState();
        contracts = new Contracts(state);
        ok(a.genesisOrganisation());
        ok(a.secondOrganisation());
        ok(a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER));
        ok(a.registerStaff(a.admin, a.biller, TxType.REGISTER_PRACTITIONER));
        ok(a.registerStaff(a.clinicAdmin, a.otherDoctor, TxType.REGISTER_PRACTITIONER));
        ok(a.registerPatient(a.alice, "st-mary"));
        ok(a.registerPatient(a.bob, "lakeside"));
        a.secondAdminConfirmsDoctor().forEach(this::ok);
    }
}

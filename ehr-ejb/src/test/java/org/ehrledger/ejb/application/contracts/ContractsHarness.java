package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;

import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
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

    /** The checks every family of contracts shares, over this state. */
    Parties parties() {
        return new Parties(state);
    }

    /**
     * Validates a transaction with one family of contracts alone, at the next consensus time, and returns the
     * change it would apply (nothing is applied yet).
     */
    Runnable validate(Function<SignedTransaction, Runnable> contract, byte[] tx) {
        now += 1_000;
        return contract.apply(SignedTransaction.decode(tx));
    }

    /** The reason one family of contracts alone refuses a transaction with. */
    String refusedBy(Function<SignedTransaction, Runnable> contract, byte[] tx) {
        return assertThrows(Rejected.class, () -> validate(contract, tx)).getMessage();
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

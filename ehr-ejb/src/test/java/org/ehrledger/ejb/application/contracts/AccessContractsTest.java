package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.junit.jupiter.api.Test;

/** The access family alone: reads logged with their basis, break-glass grants, and the emergency state's votes. */
class AccessContractsTest extends ContractsHarness {

    @Test
    void aReadIsLoggedWithTheBasisThePolicyGivesOnlyWhenItsChangeIsApplied() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        AccessContracts access = new AccessContracts(state, parties(), state.access());
        Runnable change = validate(tx -> access.recordAccess(tx, now, "tx-1"), a.read(a.doctor, a.alice, "NOTE", "follow-up"));
        assertEquals(List.of(), state.accessLog("pat-alice"), "validating changes nothing");
        change.run();
        assertEquals(List.of(new AccessEvent(now, "pat-alice", "dr-house", "st-mary", Category.NOTE, AccessBasis.CONSENT,
                "follow-up")), state.accessLog("pat-alice"));
        assertEquals("a reason is required to read another person's record",
                refusedBy(tx -> access.recordAccess(tx, now, "tx-2"), a.read(a.doctor, a.alice, "NOTE", " ")));
    }

    @Test
    void aBreakGlassGrantLastsAtMostItsLongestAndThenGivesABasis() {
        AccessContracts access = new AccessContracts(state, parties(), state.access());
        assertEquals("break-glass access lasts 1 to " + BreakGlass.MAX_MINUTES + " minutes",
                refusedBy(tx -> access.openBreakGlass(tx, now, "tx-1"),
                        a.breakGlass(a.doctor, a.alice, "unconscious in the ER", BreakGlass.MAX_MINUTES + 1)));
        validate(tx -> access.openBreakGlass(tx, now, "tx-2"),
                a.breakGlass(a.doctor, a.alice, "unconscious in the ER", BreakGlass.MAX_MINUTES)).run();
        assertEquals(AccessBasis.BREAK_GLASS, state.access().basis("dr-house", "pat-alice", Category.ALLERGY, now));
        assertEquals(now + BreakGlass.MAX_MINUTES * 60_000, state.access().openBreakGlass("dr-house", "pat-alice", now).until());
    }

    @Test
    void theEmergencyStateIsDeclaredWhenAdministratorsOfTwoOrganisationsVote() {
        AccessContracts access = new AccessContracts(state, parties(), state.access());
        validate(tx -> access.emergencyVote(tx, now, true), a.emergency(a.admin, true, "mass casualty event", 120)).run();
        assertFalse(state.emergency().active());
        validate(tx -> access.emergencyVote(tx, now, true), a.emergency(a.clinicAdmin, true, "mass casualty event", 60)).run();
        assertTrue(state.emergency().inForceAt(now));
        assertEquals(now + 60 * 60_000, state.emergency().until(), "the shortest vote decides how long");
        assertEquals("the emergency state is already in force", refusedBy(tx -> access.emergencyVote(tx, now, true),
                a.emergency(a.secondAdmin, true, "mass casualty event", 60)));
    }
}

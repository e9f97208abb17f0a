package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The billing family alone: acknowledging a billable record under a billing consent. */
class BillingContractsTest extends ContractsHarness {

    @Test
    void aBillableRecordIsAcknowledgedOnlyUnderAConsentCoveringItsCategory() {
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "PRESCRIPTION"));
        ok(a.addRecord(a.doctor, a.alice, "rx-1", "PRESCRIPTION", a.alice, a.doctor));
        BillingContracts billing = new BillingContracts(state, parties(), state.access());
        assertEquals("no billing consent of pat-alice covers PRESCRIPTION for bill-1",
                refusedBy(tx -> billing.acknowledgeBilled(tx, now), a.billed(a.biller, "rx-1", "INV-1")));
        ok(a.grant(a.alice, "c-2", "bill-1", 0, "PRESCRIPTION"));
        Runnable change = validate(tx -> billing.acknowledgeBilled(tx, now), a.billed(a.biller, "rx-1", "INV-1"));
        assertNull(state.billed("rx-1"), "validating changes nothing");
        change.run();
        assertEquals("INV-1", state.billed("rx-1").invoice());
        assertEquals("record rx-1 is already billed (invoice INV-1)",
                refusedBy(tx -> billing.acknowledgeBilled(tx, now), a.billed(a.biller, "rx-1", "INV-2")));
    }
}

package org.ehrledger.ejb.application.contracts;

import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.Billed;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/** Billing: a clerk acknowledges a billable record as billed. Part of {@link Contracts}: every check before the change. */
final class BillingContracts {

    private final WorldState state;
    private final Parties parties;
    private final AccessPolicy access;

    BillingContracts(WorldState state, Parties parties, AccessPolicy access) {
        this.state = state;
        this.parties = parties;
        this.access = access;
    }

    /**
     * A billing clerk acknowledges a billable record (prescription, encounter, procedure) as billed, under
     * a billing consent in force; once per record, with their invoice reference.
     */
    Runnable acknowledgeBilled(SignedTransaction tx, long now) {
        User clerk = parties.author(tx);
        Fields b = tx.body();
        String invoice = b.string("invoice").strip();
        ClinicalRecord r = state.record(b.string("recordId"));
        if (clerk.role() != Role.BILLING) {
            throw new Rejected("only billing staff acknowledge billable events");
        }
        if (r == null || r.erased() || !r.category().billingRelevant()) {
            throw new Rejected("no billable record " + b.string("recordId"));
        }
        if (access.basis(clerk, r.patient(), r.category(), now) != AccessBasis.CONSENT) {
            throw new Rejected("no billing consent of " + r.patient() + " covers " + r.category() + " for " + clerk.id());
        }
        if (invoice.isEmpty() || invoice.length() > 64) {
            throw new Rejected("an invoice reference has 1 to 64 characters");
        }
        Billed already = state.billed(r.id());
        if (already != null) {
            throw new Rejected("record " + r.id() + " is already billed (invoice " + already.invoice() + ")");
        }
        Billed billed = new Billed(r.id(), clerk.id(), clerk.organisation(), invoice, now);
        return () -> state.putBilled(billed);
    }
}

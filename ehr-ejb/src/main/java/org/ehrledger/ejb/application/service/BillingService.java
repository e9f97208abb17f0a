package org.ehrledger.ejb.application.service;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.Billed;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;

/**
 * What billing staff and billing systems do: list a patient's billable events (prescriptions, encounters,
 * procedures, claims) under the patient's billing consent, every read audited on chain first, and acknowledge an
 * event as billed (on chain, once).
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@RolesAllowed("BILLING")
public class BillingService {

    /** Longest period one listing covers. */
    public static final long MAX_RANGE_MILLIS = 366L * 24 * 3_600_000;

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ClinicalRecords records;

    /**
     * A billable event.
     *
     * @param recordId     the record on chain
     * @param kind         PRESCRIPTION, ENCOUNTER or PROCEDURE
     * @param code         the billing code the practitioner recorded (or the item's name when there is none)
     * @param description  what was prescribed or done
     * @param at           when it was recorded (consensus time)
     * @param practitioner who recorded it
     * @param organisation their organisation
     * @param billed       whether it was acknowledged as billed
     * @param invoice      the invoice reference when billed
     */
    public record BillableEvent(String recordId, String kind, String code, String description, long at,
                                String practitioner, String organisation, boolean billed, String invoice) {
    }

    /** The patient's billable events recorded in [{@code from}, {@code to}) (epoch ms), oldest first. */
    public List<BillableEvent> billableEvents(String patientId, long from, long to) {
        String pid = Inputs.text("patient id", patientId, 64);
        if (to <= from || to - from > MAX_RANGE_MILLIS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "the period must end after it starts and span at most 366 days");
        }
        String me = caller.id();
        long now = System.currentTimeMillis();
        List<Category> kinds = java.util.Arrays.stream(Category.values()).filter(Category::billingRelevant).toList();
        Object[] found = ledger.query(s -> {
            User p = s.user(pid);
            if (p == null || p.role() != Role.PATIENT) {
                return null;
            }
            List<Category> readable = new ArrayList<>();
            for (Category c : kinds) {
                if (s.access().basis(me, pid, c, now) == AccessBasis.CONSENT) {
                    readable.add(c);
                }
            }
            List<ClinicalRecord> inRange = s.recordsOf(pid).stream().filter(r -> readable.contains(r.category())
                    && !r.erased() && r.createdAt() >= from && r.createdAt() < to).toList();
            return new Object[] {readable, inRange};
        });
        // An unknown id is treated as a patient without billing consent: the same refused attempt on chain and
        // the same answer, so that the answer does not tell who is registered.
        @SuppressWarnings("unchecked")
        List<Category> readable = found == null ? List.of() : (List<Category>) found[0];
        @SuppressWarnings("unchecked")
        List<ClinicalRecord> inRange = found == null ? List.of() : (List<ClinicalRecord>) found[1];
        List<LedgerWriter.Signed> audits = new ArrayList<>();
        if (readable.isEmpty()) {
            audits.add(LedgerWriter.recordAccess(caller.keys(), me, pid, Category.PRESCRIPTION, "Billing")); // the attempt is recorded, and refused
        }
        for (Category c : readable) {
            if (inRange.stream().anyMatch(r -> r.category() == c)) {
                audits.add(LedgerWriter.recordAccess(caller.keys(), me, pid, c, "Billing"));
            }
        }
        if (!audits.isEmpty()) {
            try {
                writer.commitAll(audits);
            } catch (EhrException refused) {
                if (readable.isEmpty() && refused.code() == ErrorCode.REFUSED) {
                    throw new EhrException(ErrorCode.REFUSED, "billing staff see only billing-relevant items under a "
                            + "billing consent of " + pid + LedgerWriter.whereRecorded(refused));
                }
                throw refused;
            }
        }
        List<BillableEvent> out = new ArrayList<>();
        for (ClinicalRecords.Opened o : records.openAll(inRange, me, caller.keys(), true, true)) {
            ClinicalRecord r = o.record();
            record Facts(String organisation, Billed billed) {
            }
            Facts facts = ledger.query(s -> {
                User u = s.user(r.author());
                return new Facts(u == null ? "" : ClinicalRecords.organisationName(s, u.organisation()), s.billed(r.id()));
            });
            Billed b = facts.billed();
            String code = o.field("code").isEmpty() ? o.field("title") : o.field("code");
            String description = r.category() == Category.PRESCRIPTION
                    ? String.join(", ", o.field("title"), o.field("dose"), o.field("route"), o.field("frequency"),
                    o.field("duration")) : o.field("title");
            out.add(new BillableEvent(r.id(), r.category().name(), code, description, r.createdAt(), r.author(), facts.organisation(),
                    b != null, b == null ? "" : b.invoice()));
        }
        return out;
    }

    /** Acknowledges a billable event as billed with the caller's invoice reference (on chain; once per event). */
    public Committed acknowledge(String recordId, String invoice) {
        String rid = Inputs.text("record id", recordId, 80);
        String ref = Inputs.text("invoice reference", invoice, 64);
        if (ledger.query(s -> s.record(rid)) == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no record " + rid);
        }
        return writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.ACKNOWLEDGE_BILLED,
                Fields.builder().put("recordId", rid).put("invoice", ref).build()), null));
    }
}

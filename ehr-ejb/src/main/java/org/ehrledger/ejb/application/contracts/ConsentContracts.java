package org.ehrledger.ejb.application.contracts;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * A patient's consents: granting one (to a user or a whole organisation, for some categories, with the keys
 * of existing records re-wrapped for the new readers) and revoking it (readers left without a basis lose
 * their key wraps). Part of {@link Contracts}: every check before the returned change.
 */
final class ConsentContracts {

    private final WorldState state;
    private final Parties parties;
    private final AccessPolicy access;

    ConsentContracts(WorldState state, Parties parties, AccessPolicy access) {
        this.state = state;
        this.parties = parties;
        this.access = access;
    }

    Runnable grant(SignedTransaction tx, long now) {
        User author = parties.author(tx);
        Fields b = tx.body();
        String consentId = Bodies.id(b, "consentId");
        if (author.role() != Role.PATIENT) {
            throw new Rejected("only the patient grants consent to their record");
        }
        String grantee = b.string("grantee");
        if (grantee.startsWith(Consent.ORGANISATION)
                ? state.organisation(grantee.substring(Consent.ORGANISATION.length())) == null
                : state.user(grantee) == null) {
            throw new Rejected("unknown grantee " + grantee);
        }
        if (state.consent(consentId) != null) {
            throw new Rejected("consent " + consentId + " already exists");
        }
        EnumSet<Category> categories = EnumSet.noneOf(Category.class);
        for (String c : b.strings("categories")) {
            categories.add(Bodies.category(c));
        }
        if (categories.isEmpty()) {
            throw new Rejected("a consent names at least one category");
        }
        long expires = b.number("expiresAt", 0);
        if (expires != 0 && expires <= now) {
            throw new Rejected("the consent would already be expired");
        }
        Consent consent = new Consent(consentId, author.id(), grantee, Set.copyOf(categories), expires, false);
        // Existing records' keys re-wrapped by the patient for the new reader(s): "<recordId>/<reader>:<base64>".
        Map<String, byte[]> added = Bodies.optionalWraps(b);
        for (String key : added.keySet()) {
            int slash = key.indexOf('/');
            ClinicalRecord r = slash < 1 ? null : state.record(key.substring(0, slash));
            String reader = slash < 1 ? "" : key.substring(slash + 1);
            User u = state.user(reader);
            if (r == null || r.erased() || !r.patient().equals(author.id()) || !categories.contains(r.category())
                    || u == null || !AccessPolicy.consentLets(u, consent, r.category(), now)) {
                throw new Rejected("key wrap " + key + " is not for a record this consent lets that reader read");
            }
        }
        return () -> {
            state.putConsent(consent);
            for (var e : added.entrySet()) {
                int slash = e.getKey().indexOf('/');
                state.putWrap(e.getKey().substring(0, slash), e.getKey().substring(slash + 1), e.getValue());
            }
        };
    }

    Runnable revoke(SignedTransaction tx, long now) {
        User author = parties.author(tx);
        Consent c = state.consent(tx.body().string("consentId"));
        if (c == null || !c.patient().equals(author.id())) {
            throw new Rejected("no consent " + tx.body().string("consentId") + " of " + author.id());
        }
        if (c.revoked()) {
            throw new Rejected("consent " + c.id() + " is already revoked");
        }
        return () -> {
            state.putConsent(c.revoke());
            // Readers who no longer have a basis lose their key wraps; later records are not wrapped for them.
            // The verdict depends on the reader and the category only (the loop changes wraps, not bases): judged
            // once per pair, not once per record and reader, which cost a patient with many records thousands of
            // reads of consents and break-glass rows per revocation (a catching-up replica spent 74 % of its CPU
            // here, docs/PERFORMANCE.md).
            java.util.Map<String, Boolean> keeps = new java.util.HashMap<>();
            for (ClinicalRecord r : state.recordsOf(c.patient())) {
                for (String reader : state.wrapsOf(r.id()).keySet()) {
                    boolean keep = keeps.computeIfAbsent(reader + '\n' + r.category(),
                            k -> access.keepsKey(reader, c.patient(), r.category(), now));
                    if (!keep) {
                        state.removeWrap(r.id(), reader);
                    }
                }
            }
        };
    }
}

package org.ehrledger.ejb.application.contracts;

import java.util.Collections;
import java.util.TreeMap;
import java.util.TreeSet;

import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Reading clinical content and the exceptional bases for it: recording a read (refused unless the
 * {@link AccessPolicy} gives a basis, logged for the patient with its reason), opening break-glass access
 * to one patient, and the administrators' votes that declare or end the network emergency state. Part of
 * {@link Contracts}: every check before the returned change.
 */
final class AccessContracts {

    private final WorldState state;
    private final Parties parties;
    private final AccessPolicy access;

    AccessContracts(WorldState state, Parties parties, AccessPolicy access) {
        this.state = state;
        this.parties = parties;
        this.access = access;
    }

    /** A read of a patient's category, logged under {@code key} (the id of its transaction). */
    Runnable recordAccess(SignedTransaction tx, long now, String key) {
        User reader = parties.author(tx);
        Fields b = tx.body();
        User patient = parties.patient(b.string("patient"));
        Category category = Bodies.category(b.string("category"));
        String reason = b.string("reason", "");
        if (b.has("recordId")) {
            ClinicalRecord r = state.record(b.string("recordId"));
            if (r == null || !r.patient().equals(patient.id()) || r.category() != category) {
                throw new Rejected("no " + category + " record " + b.string("recordId") + " of " + patient.id());
            }
            if (r.erased()) {
                throw new Rejected("record " + r.id() + " was erased; its content no longer exists");
            }
        }
        AccessBasis basis = access.basis(reader, patient.id(), category, now);
        if (basis == null) {
            throw new Rejected(AccessPolicy.refusal(reader, category, patient.id()));
        }
        if (basis != AccessBasis.OWNER && reason.isBlank()) {
            throw new Rejected("a reason is required to read another person's record");
        }
        AccessEvent event = new AccessEvent(now, patient.id(), reader.id(), reader.organisation(), category, basis, reason);
        return () -> state.logAccess(key, event);
    }

    /** A break-glass grant, kept under {@code key} (the id of its transaction). */
    Runnable openBreakGlass(SignedTransaction tx, long now, String key) {
        User practitioner = parties.author(tx);
        Fields b = tx.body();
        User patient = parties.patient(b.string("patient"));
        String reason = b.string("reason").strip();
        long minutes = b.number("minutes");
        if (practitioner.role() != Role.PRACTITIONER) {
            throw new Rejected("only practitioners open break-glass access");
        }
        if (reason.length() < 10) {
            throw new Rejected("break-glass access needs a reason of at least 10 characters");
        }
        if (minutes < 1 || minutes > BreakGlass.MAX_MINUTES) {
            throw new Rejected("break-glass access lasts 1 to " + BreakGlass.MAX_MINUTES + " minutes");
        }
        if (practitioner.awaitsConfirmation() && now >= BreakGlass.TWO_PERSON_RULE_SINCE) {
            throw new Rejected("the registration of " + practitioner.id() + " by " + practitioner.registeredBy()
                    + " awaits confirmation by a second administrator of " + practitioner.organisation()
                    + "; break-glass access is refused until then");
        }
        BreakGlass grant = new BreakGlass(patient.id(), practitioner.id(), reason, now, now + minutes * 60_000);
        return () -> state.addBreakGlass(key, grant);
    }

    /** An administrator's vote to declare ({@code declare}) or end the emergency state; a quorum decides. */
    Runnable emergencyVote(SignedTransaction tx, long now, boolean declare) {
        User admin = parties.author(tx);
        if (admin.role() != Role.ADMIN) {
            throw new Rejected("only administrators declare or end the emergency state");
        }
        boolean active = state.emergency().inForceAt(now);
        if (declare == active) {
            throw new Rejected(declare ? "the emergency state is already in force" : "no emergency state is in force");
        }
        String reason = tx.body().string("reason").strip();
        long minutes = declare ? tx.body().number("minutes") : 0;
        if (reason.length() < 10) {
            throw new Rejected("a reason of at least 10 characters is required");
        }
        if (declare && (minutes < 1 || minutes > EmergencyState.MAX_MINUTES)) {
            throw new Rejected("an emergency state lasts 1 to " + EmergencyState.MAX_MINUTES + " minutes");
        }
        String kind = declare ? "DECLARE" : "END";
        return () -> {
            // One vote per organisation; votes older than the window lapse.
            state.emergencyVotesHeld(kind).forEach((org, v) -> {
                if (now - v.at() > EmergencyState.VOTE_WINDOW_MILLIS) {
                    state.removeEmergencyVote(kind, org);
                }
            });
            state.putEmergencyVote(kind, admin.organisation(), new WorldState.EmergencyVote(now, admin.id(), minutes, reason));
            TreeMap<String, WorldState.EmergencyVote> votes = state.emergencyVotesHeld(kind);
            if (votes.size() < state.emergencyQuorum()) {
                return;
            }
            TreeSet<String> by = new TreeSet<>();
            long shortest = Long.MAX_VALUE;
            for (WorldState.EmergencyVote v : votes.values()) {
                by.add(v.admin());
                shortest = Math.min(shortest, v.minutes());
            }
            state.emergency(declare
                    ? new EmergencyState(true, reason, now, now + shortest * 60_000, Collections.unmodifiableSortedSet(by))
                    : EmergencyState.NONE);
            state.clearEmergencyVotes();
        };
    }
}

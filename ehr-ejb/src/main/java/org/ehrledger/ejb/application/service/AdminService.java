package org.ehrledger.ejb.application.service;

import java.util.EnumSet;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;

/** What administrators do: register staff of their organisation. */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@RolesAllowed("ADMIN")
public class AdminService {

    @Inject
    Caller caller;

    @Inject
    AccountStore accounts;

    @Inject
    Enrolment enrolment;

    @Inject
    LedgerWriter writer;

    @Inject
    org.ehrledger.ejb.application.ledger.LedgerRuntime ledger;

    @Inject
    org.ehrledger.ejb.infrastructure.identity.CallerSessions sessions;

    /** Where an admission stands after the caller's vote. */
    public record AdmissionVote(String organisation, boolean admitted, int votes, int required, Committed committed) {
    }

    /**
     * Votes, for the caller's organisation, to admit the organisation described by an admission request
     * (what that organisation's replica printed at bootstrap). It is admitted once administrators of a
     * majority of the member organisations submitted the same request.
     */
    public AdmissionVote admitOrganisation(String admissionRequest) {
        if (admissionRequest == null || admissionRequest.length() > 64 * 1024) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "an admission request (base64, at most 64 KiB) is required");
        }
        Fields body;
        try {
            org.ehrledger.consensus.codec.Wire.Reader r = new org.ehrledger.consensus.codec.Wire.Reader(
                    java.util.Base64.getDecoder().decode(admissionRequest.strip()));
            body = Fields.decode(r);
            r.expectEnd();
            body.string("organisation");
        } catch (RuntimeException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "not an admission request: " + e.getMessage());
        }
        String org = body.string("organisation");
        int required = Organisation.admissionMajority(ledger.query(s -> s.organisationCount()));
        Committed c = writer.commit(new LedgerWriter.Signed(
                LedgerWriter.sign(caller.keys(), caller.id(), TxType.REGISTER_ORGANISATION, body), null));
        boolean admitted = ledger.query(s -> s.organisation(org)) != null;
        return new AdmissionVote(org, admitted, admitted ? required : ledger.query(s -> s.admissionVotes(org)).size(), required, c);
    }

    /**
     * A registered staff member with their one-time enrolment code, shown once to hand over; it does not sign
     * in: they enrol with it and choose their password (see {@link Enrolment}).
     */
    public record StaffRegistered(String userId, String role, String organisation, Enrolment.IssuedCode enrolment,
                                  Committed committed) {
    }

    /**
     * Registers a practitioner, billing clerk or administrator of the caller's organisation: first keys
     * certified by the organisation's CA, a registration signed by the caller, and an account on this replica
     * awaiting enrolment with a one-time code.
     */
    public StaffRegistered registerStaff(String userId, String displayName, String roleName) {
        String id = Ids.requireUserId(userId);
        String name = Inputs.text("name", displayName, 200);
        Role role = Inputs.role(roleName);
        if (!EnumSet.of(Role.ADMIN, Role.PRACTITIONER, Role.BILLING).contains(role)) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "staff are ADMIN, PRACTITIONER or BILLING; patients sign up");
        }
        AccountRow me = accounts.find(caller.id());
        if (me == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your account is not held by this replica");
        }
        if (accounts.find(id) != null) {
            throw new EhrException(ErrorCode.CONFLICT, "user id " + id + " is taken");
        }
        Enrolment.Pending pending = enrolment.register(id, role);
        Enrolment.Enrolled staff = pending.enrolled();
        Fields body = staff.putPublic(Fields.builder().put("userId", id).put("role", role.name()), "").build();
        TxType type = role == Role.ADMIN ? TxType.REGISTER_ADMIN : TxType.REGISTER_PRACTITIONER;
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), me.userId(), type, body), null));
        accounts.add(new AccountRow(id, role.name(), me.organisation(), name, staff.sealedKeys(), System.currentTimeMillis()));
        enrolment.awaitEnrolment(pending.code());
        return new StaffRegistered(id, role.name(), me.organisation(), pending.code(), c);
    }

    /** A person of the caller's organisation who signs in at this replica. */
    public record StaffMember(String userId, String name, String role, long createdAt, boolean suspended,
                              boolean revoked, boolean onChain, boolean awaitingEnrolment, String registeredBy, String confirmedBy) {

        /** Whether a second administrator has yet to confirm this registration (the two-person rule). */
        public boolean awaitsConfirmation() {
            return !registeredBy.isEmpty() && confirmedBy.isEmpty();
        }
    }

    /** Everyone of the caller's organisation with an account at this replica (patients included), by id. */
    public List<StaffMember> people() {
        AccountRow me = self();
        List<AccountRow> rows = accounts.listOf(me.organisation());
        java.util.Set<String> awaiting = enrolment.awaitingEnrolment(rows.stream().map(AccountRow::userId).toList());
        return ledger.query(s -> rows.stream().map(a -> {
            User u = s.user(a.userId());
            return new StaffMember(a.userId(), a.displayName(), a.role(), a.createdAt(), a.suspended(),
                    u != null && u.revoked(), u != null, awaiting.contains(a.userId()), u == null || u.registeredBy() == null ? "" : u.registeredBy(),
                    u == null || u.confirmedBy() == null ? "" : u.confirmedBy());
        }).toList());
    }

    /**
     * Confirms, as a second administrator, a registration another administrator of the organisation made:
     * until then the account cannot open break-glass access (the two-person rule, enforced on chain).
     */
    public Committed confirmRegistration(String userId) {
        String id = Inputs.text("user id", userId, 64);
        return writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(),
                TxType.CONFIRM_REGISTRATION, Fields.builder().put("userId", id).build()), null));
    }

    /**
     * Suspends (or reinstates) a person's account at this replica: they cannot sign in and their sessions
     * end at once. Local to the replica; revoke the certificate to stop them network-wide.
     */
    public void suspend(String userId, boolean suspended) {
        AccountRow me = self();
        AccountRow target = accounts.find(Inputs.text("user id", userId, 64));
        if (target == null || !target.organisation().equals(me.organisation())) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no account " + userId + " of " + me.organisation() + " here");
        }
        if (target.userId().equals(me.userId())) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "you cannot suspend your own account");
        }
        accounts.suspend(target.userId(), suspended);
        if (suspended) {
            sessions.closeAllOf(target.userId());
        }
    }

    /**
     * Revokes a user's certificate network-wide: every later transaction of theirs is refused and their
     * key wraps are dropped. Irreversible (a new identity needs a new registration).
     */
    public Committed revokeCertificate(String userId) {
        String id = Inputs.text("user id", userId, 64);
        if (id.equals(caller.id())) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "you cannot revoke your own certificate here");
        }
        if (ledger.query(s -> s.user(id)) == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no user " + id + " on the ledger");
        }
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(),
                TxType.REVOKE_CERTIFICATE, Fields.builder().put("userId", id).build()), null));
        sessions.closeAllOf(id);
        return c;
    }

    /** One administrator's pending vote. */
    public record Vote(String organisation, String admin, long at, long minutes, String reason) {
    }

    /** The emergency state and the votes waiting for the quorum. */
    public record Emergency(boolean active, String reason, long since, long until, List<String> declaredBy, int quorum,
                            List<Vote> pendingDeclare, List<Vote> pendingEnd) {
    }

    /** The network emergency state, with pending approvals. */
    public Emergency emergency() {
        long now = System.currentTimeMillis();
        return ledger.query(s -> {
            var e = s.emergency();
            boolean active = e.inForceAt(now);
            return new Emergency(active, active ? e.reason() : "", active ? e.since() : 0, active ? e.until() : 0,
                    active ? List.copyOf(e.declaredBy()) : List.of(), s.emergencyQuorum(), votes(s, "DECLARE", now),
                    votes(s, "END", now));
        });
    }

    private static List<Vote> votes(org.ehrledger.ejb.application.contracts.WorldState s, String kind, long now) {
        return s.emergencyVotes(kind, now).entrySet().stream().map(v -> new Vote(v.getKey(), v.getValue().admin(),
                v.getValue().at(), v.getValue().minutes(), v.getValue().reason())).toList();
    }

    /**
     * Votes, for the caller's organisation, to declare the emergency state for {@code minutes}; it is in
     * force once administrators of the quorum of organisations voted within the vote window.
     */
    public Emergency declareEmergency(String reason, long minutes) {
        String why = Inputs.text("reason", reason, 500);
        if (minutes < 1 || minutes > EmergencyState.MAX_MINUTES) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "an emergency state lasts 1 to "
                    + EmergencyState.MAX_MINUTES + " minutes");
        }
        writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.DECLARE_EMERGENCY,
                Fields.builder().put("reason", why).put("minutes", minutes).build()), null));
        return emergency();
    }

    /** Votes to end the emergency state (the same quorum). */
    public Emergency endEmergency(String reason) {
        String why = Inputs.text("reason", reason, 500);
        writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.END_EMERGENCY,
                Fields.builder().put("reason", why).build()), null));
        return emergency();
    }

    /** A member organisation, or one waiting for admission. */
    public record Member(String id, String name, int users, boolean custodian) {
    }

    /** The member organisations. */
    public List<Member> organisations() {
        return ledger.query(s -> s.organisations().stream().map(o -> new Member(o.id(), o.name(),
                s.usersOf(o.id()).size(), o.custodianKey() != null)).toList());
    }

    private AccountRow self() {
        AccountRow me = accounts.find(caller.id());
        if (me == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your account is not held by this replica");
        }
        return me;
    }
}

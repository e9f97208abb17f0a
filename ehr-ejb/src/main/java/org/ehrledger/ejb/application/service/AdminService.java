package org.ehrledger.ejb.application.service;

import java.util.EnumSet;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.domain.model.registry.Role;
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
            org.ehrledger.consensus.message.Wire.Reader r = new org.ehrledger.consensus.message.Wire.Reader(
                    java.util.Base64.getDecoder().decode(admissionRequest.strip()));
            body = Fields.decode(r);
            r.expectEnd();
            body.string("organisation");
        } catch (RuntimeException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "not an admission request: " + e.getMessage());
        }
        String org = body.string("organisation");
        int required = ledger.query(s -> s.organisationCount()) / 2 + 1;
        Committed c = writer.commit(new LedgerWriter.Signed(
                LedgerWriter.sign(caller.keys(), caller.id(), TxType.REGISTER_ORGANISATION, body), null));
        boolean admitted = ledger.query(s -> s.organisation(org)) != null;
        return new AdmissionVote(org, admitted, admitted ? required : ledger.query(s -> s.admissionVotes(org)).size(), required, c);
    }

    /** A registered staff member with the initial password, shown once to hand over. */
    public record StaffRegistered(String userId, String role, String organisation, String initialPassword,
                                  Committed committed) {
    }

    /**
     * Registers a practitioner, billing clerk or administrator of the caller's organisation: keys certified
     * by the organisation's CA, a registration signed by the caller, and an account on this replica with a
     * random initial password.
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
        char[] password = Enrolment.randomPassword();
        Enrolment.Enrolled staff = enrolment.enrol(id, role, password);
        Fields body = staff.putPublic(Fields.builder().put("userId", id).put("role", role.name()), "").build();
        TxType type = role == Role.ADMIN ? TxType.REGISTER_ADMIN : TxType.REGISTER_PRACTITIONER;
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), me.userId(), type, body), null));
        accounts.add(new AccountRow(id, role.name(), me.organisation(), name, staff.sealedKeys(), System.currentTimeMillis()));
        return new StaffRegistered(id, role.name(), me.organisation(), new String(password), c);
    }
}

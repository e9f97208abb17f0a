package org.ehrledger.ejb.application.service;

import java.nio.CharBuffer;
import java.time.Instant;
import java.util.logging.Logger;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentCode;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentRow;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentStore;

/**
 * Completing an enrolment with the one-time code (see {@link Enrolment}): the person chooses their password,
 * their keys are replaced on chain by keys generated now and sealed under it, and the code is spent. And the
 * re-issue of a code by an administrator for someone who has not enrolled yet.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class EnrolmentService {

    private static final Logger LOG = Logger.getLogger(EnrolmentService.class.getName());

    @Inject
    AccountStore accounts;

    @Inject
    EnrolmentStore enrolments;

    @Inject
    Enrolment enrolment;

    @Inject
    KeyRotation rotation;

    @Inject
    LedgerRuntime ledger;

    @Inject
    Caller caller;

    /**
     * A completed enrolment: who, and the key rotation on chain (null if its answer was lost although it
     * committed).
     */
    public record Completed(String userId, String role, String organisation, Committed rotation) {
    }

    /**
     * Completes the enrolment of {@code userId} with their code and the password they choose: the first keys
     * sign a rotation to keys generated now, which are sealed under the password; the code cannot be used
     * again. Wrong codes count toward the account's lock as wrong passwords do.
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} for an unknown user id, a wrong or spent code (one
     *                      answer for all), {@link ErrorCode#ENROLMENT_CODE_EXPIRED} for the right code too late,
     *                      {@link ErrorCode#INVALID_INPUT} for a password that is too short,
     *                      {@link ErrorCode#TOO_MANY_ATTEMPTS} while the account is locked
     */
    @PermitAll
    public Completed complete(String userId, String code, char[] password) {
        Inputs.password(password);
        long now = System.currentTimeMillis();
        String id = userId == null || userId.length() > 64 ? null : userId.strip();
        AccountRow account = accounts.find(id);
        EnrolmentRow pending = account == null ? null : enrolments.find(id);
        if (pending == null) {
            throw noSuchEnrolment();
        }
        SignInGate.requireUnlocked(account.lockedUntil(), now, "attempts");
        String verifier = pending.codeVerifier();
        if (!EnrolmentCode.matches(verifier, id, code)) {
            accounts.loginOutcome(id, false, now);
            LOG.info(() -> "failed enrolment attempt for " + id);
            throw noSuchEnrolment();
        }
        if (pending.expired(now)) {
            throw Enrolment.expiredCode(pending.expiresAt());
        }
        if (account.suspended()) {
            throw new EhrException(ErrorCode.FORBIDDEN, "this account is suspended; contact your administrator");
        }
        User onChain = ledger.query(s -> s.user(id));
        if (onChain == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your organisation " + account.organisation()
                    + " awaits admission by the member organisations; complete your enrolment once it is admitted "
                    + "(your code is valid until " + Instant.ofEpochMilli(pending.expiresAt()) + ")");
        }
        if (onChain.revoked()) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your certificate was revoked; contact your administrator");
        }
        if (!enrolments.claim(id, verifier)) {
            throw noSuchEnrolment(); // redeemed by a parallel request
        }
        UserKeys fresh = UserKeys.generate();
        byte[] sealed = enrolment.seal(fresh, password);
        Committed rotated;
        try {
            rotated = rotation.rotate(id, Role.valueOf(account.role()), enrolment.openPending(id, account.sealedKeys()), fresh)
                    .committed();
        } catch (RuntimeException e) {
            if (!rotation.registered(id, fresh)) {
                enrolments.release(id, verifier); // nothing changed: the code may be tried again
                throw e;
            }
            rotated = null; // committed, though the answer was lost
        }
        accounts.reseal(id, sealed);
        enrolments.remove(id);
        accounts.loginOutcome(id, true, now);
        LOG.info(() -> id + " enrolled; their keys were rotated on chain");
        return new Completed(id, account.role(), account.organisation(), rotated);
    }

    private static EhrException noSuchEnrolment() {
        return new EhrException(ErrorCode.UNAUTHENTICATED, "no enrolment awaits this user id with this code; check "
                + "both (a code works once), or ask for a new one");
    }

    /**
     * A new enrolment code for a person of the caller's organisation who has not enrolled yet; the previous
     * code stops working. At most {@link Enrolment#MAX_CODES} codes per person.
     */
    @RolesAllowed("ADMIN")
    public Enrolment.IssuedCode reissue(String userId) {
        AccountRow me = accounts.find(caller.id());
        if (me == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your account is not held by this replica");
        }
        AccountRow target = accounts.find(Inputs.text("user id", userId, 64));
        if (target == null || !target.organisation().equals(me.organisation())) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no account " + userId + " of " + me.organisation() + " here");
        }
        EnrolmentRow pending = enrolments.find(target.userId());
        if (pending == null) {
            throw new EhrException(ErrorCode.CONFLICT, target.userId() + " has enrolled already; only they know "
                    + "their password");
        }
        if (pending.codesIssued() >= Enrolment.MAX_CODES) {
            throw new EhrException(ErrorCode.CONFLICT, target.userId() + " was issued " + pending.codesIssued()
                    + " enrolment codes already; revoke the certificate and register them again");
        }
        Enrolment.IssuedCode code = enrolment.newCode(target.userId());
        if (!enrolments.reissue(target.userId(), EnrolmentCode.verifier(target.userId(), CharBuffer.wrap(code.code())),
                code.expiresAt())) {
            throw new EhrException(ErrorCode.CONFLICT, target.userId() + " has enrolled meanwhile");
        }
        LOG.info(() -> caller.id() + " issued a new enrolment code for " + target.userId());
        return code;
    }
}

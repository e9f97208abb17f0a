package org.ehrledger.ejb.application.service;

import java.util.List;
import java.util.logging.Logger;

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
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.crypto.WrongPasswordException;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/**
 * A person rotates their own keys ({@code ROTATE_KEY}): new keys certified by their organisation's CA,
 * signed with the keys they replace, the records they hold re-wrapped for the new key, and the new keys
 * sealed under the same password. Only after re-entering the password; every session of theirs ends.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
public class KeyRotationService {

    private static final Logger LOG = Logger.getLogger(KeyRotationService.class.getName());

    @Inject
    Caller caller;

    @Inject
    AccountStore accounts;

    @Inject
    Enrolment enrolment;

    @Inject
    KeyRenewal renewal;

    @Inject
    LedgerWriter writer;

    @Inject
    CallerSessions sessions;

    /** A committed rotation. */
    public record Rotated(String userId, int recordsRewrapped, Committed committed) {
    }

    /**
     * Rotates the caller's keys; their sessions end (sign in again with the same password).
     *
     * @throws EhrException {@link ErrorCode#FORBIDDEN} if the password is wrong
     */
    public Rotated rotate(char[] password) {
        AccountRow account = accounts.find(caller.id());
        if (account == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your account is not held by this replica");
        }
        UserKeys current;
        long now = System.currentTimeMillis();
        try {
            if (password == null || password.length == 0 || password.length > 256) {
                throw new WrongPasswordException();
            }
            current = enrolment.open(account.sealedKeys(), password);
        } catch (WrongPasswordException e) {
            accounts.loginOutcome(account.userId(), false, now);
            throw new EhrException(ErrorCode.FORBIDDEN, "enter your current account password to rotate your keys");
        }
        String me = account.userId();
        Enrolment.Enrolled fresh = enrolment.enrol(me, Role.valueOf(account.role()), password);
        List<String> wraps = renewal.withOwnKey(me, current.encryption(), fresh.keys().encryption().getPublic());
        Fields body = fresh.putPublic(Fields.builder().put("wraps", wraps), "").build();
        Committed c = writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(current, me, TxType.ROTATE_KEY, body), null));
        accounts.reseal(me, fresh.sealedKeys());
        sessions.closeAllOf(me);
        LOG.info(() -> me + " rotated their keys; " + wraps.size() + " records re-wrapped, their sessions ended");
        return new Rotated(me, wraps.size(), c);
    }
}

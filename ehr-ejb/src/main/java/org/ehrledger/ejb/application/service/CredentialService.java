package org.ehrledger.ejb.application.service;

import java.util.Arrays;
import java.util.logging.Logger;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.Pkcs12;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.crypto.WrongPasswordException;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * What a signed-in person does with their own credentials, each only after re-entering their password
 * (checked by opening their sealed keys; failures count toward the account's lock like failed sign-ins):
 * change the password (the keys are re-sealed, every other session ends) and export the keys.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@RolesAllowed({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
public class CredentialService {

    private static final Logger LOG = Logger.getLogger(CredentialService.class.getName());

    @Inject
    Caller caller;

    @Inject
    AccountStore accounts;

    @Inject
    CallerSessions sessions;

    @Inject
    Enrolment enrolment;

    @Inject
    OrganisationCa organisation;

    @Inject
    KeyRotation rotation;

    /** A committed rotation of the caller's keys. */
    public record Rotated(String userId, int recordsRewrapped, Committed committed) {
    }

    /**
     * Changes the caller's password: the keys are re-sealed under the new one and every session of theirs
     * but {@code currentSessionToken} ends.
     *
     * @throws EhrException {@link ErrorCode#FORBIDDEN} if the current password is wrong,
     *                      {@link ErrorCode#INVALID_INPUT} if the new one is too short or the same,
     *                      {@link ErrorCode#TOO_MANY_ATTEMPTS} while the account is locked
     */
    public void changePassword(char[] currentPassword, char[] newPassword, String currentSessionToken) {
        Inputs.password(newPassword);
        if (currentPassword != null && Arrays.equals(currentPassword, newPassword)) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "the new password must differ from the current one");
        }
        AccountRow account = self();
        UserKeys keys = confirm(account, currentPassword);
        accounts.reseal(account.userId(), enrolment.seal(keys, newPassword));
        sessions.closeAllOfExcept(account.userId(), currentSessionToken);
        LOG.info(() -> account.userId() + " changed their password; their other sessions ended");
    }

    /**
     * The caller's private keys as a PKCS#12 file under {@code filePassword}, with certificates freshly issued
     * by their organisation's CA for the same keys; only with the account password.
     *
     * @throws EhrException {@link ErrorCode#FORBIDDEN} if the account password is wrong or missing
     */
    public byte[] exportKeys(char[] accountPassword, char[] filePassword) {
        Inputs.password(filePassword);
        AccountRow account = self();
        UserKeys keys = confirm(account, accountPassword);
        var ca = organisation.ca();
        LOG.info(() -> account.userId() + " exported their keys");
        return Pkcs12.export(keys, ca.certify(account.userId(), account.role(), keys.signing().getPublic()),
                ca.certify(account.userId(), account.role(), keys.encryption().getPublic()), ca.certificate(), filePassword);
    }

    /**
     * Rotates the caller's keys ({@code ROTATE_KEY}): new keys certified by their organisation's CA, signed
     * with the keys they replace, the records they hold re-wrapped for the new key, the new keys sealed under
     * the same password; only after re-entering it. Every session of theirs ends (they sign in again).
     *
     * @throws EhrException {@link ErrorCode#FORBIDDEN} if the password is wrong or missing
     */
    public Rotated rotateKeys(char[] password) {
        AccountRow account = self();
        UserKeys current = confirm(account, password);
        String me = account.userId();
        UserKeys fresh = UserKeys.generate();
        KeyRotation.Rotation r = rotation.rotate(me, Role.valueOf(account.role()), current, fresh);
        accounts.reseal(me, enrolment.seal(fresh, password));
        sessions.closeAllOf(me);
        LOG.info(() -> me + " rotated their keys; " + r.recordsRewrapped() + " records re-wrapped, their sessions ended");
        return new Rotated(me, r.recordsRewrapped(), r.committed());
    }

    private AccountRow self() {
        AccountRow account = accounts.find(caller.id());
        if (account == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "your account is not held by this replica");
        }
        return account;
    }

    /** Opens the caller's sealed keys with the password they re-entered; a wrong one counts toward the lock. */
    private UserKeys confirm(AccountRow account, char[] password) {
        long now = System.currentTimeMillis();
        SignInGate.requireUnlocked(account.lockedUntil(), now, "attempts");
        if (password == null || password.length == 0 || password.length > 256) {
            throw new EhrException(ErrorCode.FORBIDDEN, "enter your current account password to do this");
        }
        try {
            UserKeys keys = enrolment.open(account.sealedKeys(), password);
            accounts.loginOutcome(account.userId(), true, now);
            return keys;
        } catch (WrongPasswordException e) {
            accounts.loginOutcome(account.userId(), false, now);
            LOG.info(() -> "wrong password re-entered by " + account.userId());
            throw new EhrException(ErrorCode.FORBIDDEN, "your current account password is wrong");
        }
    }
}

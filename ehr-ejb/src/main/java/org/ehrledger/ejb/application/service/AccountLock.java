package org.ehrledger.ejb.application.service;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;

/**
 * The account lock as the checks of a secret other than sign-in see it (an enrolment code, a password
 * re-entered to change it or to export the keys): while locked, nothing is tried; each failure counts
 * toward the lock through {@code AccountStore.loginOutcome} as a failed sign-in does.
 */
final class AccountLock {

    private AccountLock() {
    }

    /** Refuses while the account is locked. */
    static void refuseWhileLocked(AccountRow account, long now) {
        if (account.lockedUntil() > now) {
            throw new EhrException(ErrorCode.TOO_MANY_ATTEMPTS, "too many failed attempts; try again in "
                    + Math.max(1, (account.lockedUntil() - now) / 1000) + " s");
        }
    }
}

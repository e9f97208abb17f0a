package org.ehrledger.web.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.TooManyAttemptsException;
import org.junit.jupiter.api.Test;

/** Failed sign-ins are counted per address; one address's failures never block another. */
class LoginThrottleTest {

    @Test
    void anAddressIsBlockedAfterTheMaximumOfFailuresAndOthersAreNot() {
        LoginThrottle throttle = new LoginThrottle();
        for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
            throttle.failed("10.0.0.1");
        }
        assertFalse(throttle.blocked("10.0.0.1"), "one failure short of the limit");
        throttle.failed("10.0.0.1");
        assertTrue(throttle.blocked("10.0.0.1"));
        assertFalse(throttle.blocked("10.0.0.2"));
    }

    @Test
    void aBlockedAddressIsToldToWaitForTheRestOfItsWindowAndOthersNotAtAll() {
        LoginThrottle throttle = new LoginThrottle();
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            throttle.failed("10.0.0.1");
        }
        long wait = throttle.retryAfterSeconds("10.0.0.1");
        assertTrue(wait > LoginThrottle.WINDOW_MILLIS / 1000 - 5 && wait <= LoginThrottle.WINDOW_MILLIS / 1000, "" + wait);
        assertEquals(0, throttle.retryAfterSeconds("10.0.0.2"));
    }

    @Test
    void anAttemptCountsOnlyWrongSecretsAndABlockedAddressIsRefusedBeforeTheCheckRuns() {
        LoginThrottle throttle = new LoginThrottle();
        AtomicInteger checks = new AtomicInteger();
        for (int i = 0; i < 2 * LoginThrottle.MAX_FAILURES; i++) { // refusals other than a wrong secret
            assertThrows(EhrException.class, () -> throttle.attempt("10.0.0.1", ErrorCode.FORBIDDEN, () -> {
                checks.incrementAndGet();
                throw new EhrException(ErrorCode.TOO_MANY_ATTEMPTS, "the account is locked");
            }));
        }
        assertFalse(throttle.blocked("10.0.0.1"));
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThrows(EhrException.class, () -> throttle.attempt("10.0.0.1", ErrorCode.FORBIDDEN, () -> {
                checks.incrementAndGet();
                throw new EhrException(ErrorCode.FORBIDDEN, "no approved recovery matches these codes");
            }));
        }
        int before = checks.get();
        TooManyAttemptsException refused = assertThrows(TooManyAttemptsException.class,
                () -> throttle.attempt("10.0.0.1", ErrorCode.FORBIDDEN, checks::incrementAndGet));
        assertEquals(before, checks.get(), "the check did not run");
        assertTrue(refused.getMessage().contains("try again in"), refused.getMessage());
        assertEquals(7, throttle.attempt("10.0.0.2", ErrorCode.FORBIDDEN, () -> 7));
    }
}

package org.ehrledger.web.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}

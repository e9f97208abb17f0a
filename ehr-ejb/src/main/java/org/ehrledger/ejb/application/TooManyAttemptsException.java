package org.ehrledger.ejb.application;

import jakarta.ejb.ApplicationException;

/**
 * {@link ErrorCode#TOO_MANY_ATTEMPTS}: refused before any work was done, with how long to wait (HTTP
 * {@code Retry-After}).
 */
@ApplicationException(rollback = true)
public class TooManyAttemptsException extends EhrException {

    private static final long serialVersionUID = 1L;

    private final long retryAfterSeconds;

    /** Refused for {@code retryAfterSeconds} (at least 1); the message says why and when to try again. */
    public TooManyAttemptsException(String message, long retryAfterSeconds) {
        super(ErrorCode.TOO_MANY_ATTEMPTS, message);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    /** Seconds to wait before trying again. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

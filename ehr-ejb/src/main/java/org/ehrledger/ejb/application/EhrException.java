package org.ehrledger.ejb.application;

import jakarta.ejb.ApplicationException;

/**
 * A typed, expected failure of a service call: the code says what kind, the message says what happened
 * and what to do next. It never carries clinical content or secrets. Session beans throw it unwrapped.
 */
@ApplicationException(rollback = true)
public class EhrException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public EhrException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}

package org.ehrledger.consensus.api;

/** The replicas did not produce f+1 matching replies in time; the request may or may not have executed. */
public final class ConsensusTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ConsensusTimeoutException(String message) {
        super(message);
    }
}

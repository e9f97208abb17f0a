package org.ehrledger.consensus.api;

/** The client already has its maximum number of requests in flight; retry after some complete. */
public final class ClientOverloadedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ClientOverloadedException(String message) {
        super(message);
    }
}

package org.ehrledger.consensus.codec;

/** Thrown when bytes received from the network do not decode to a well-formed message. */
public final class MalformedMessageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a reason. */
    public MalformedMessageException(String reason) {
        super(reason);
    }
}

package org.ehrledger.ejb.application.contracts;

/** A contract refused a transaction; the message is the reason recorded on chain. */
public final class Rejected extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the refusal. */
    public Rejected(String reason) {
        super(reason, null, false, false);
    }
}

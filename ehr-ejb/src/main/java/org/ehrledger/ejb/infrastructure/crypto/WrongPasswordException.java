package org.ehrledger.ejb.infrastructure.crypto;

/** The password does not open the protected private keys (or they were altered). */
public final class WrongPasswordException extends CryptoException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public WrongPasswordException() {
        super("the password does not match; check it and try again");
    }
}

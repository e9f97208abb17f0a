package org.ehrledger.ejb.infrastructure.crypto;

/** A cryptographic operation failed: wrong key or password, tampered data, or a broken encoding. */
public class CryptoException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public CryptoException(String message) {
        super(message);
    }

    /** Creates the exception with a cause. */
    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}

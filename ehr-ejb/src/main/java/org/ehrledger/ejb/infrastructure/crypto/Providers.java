package org.ehrledger.ejb.infrastructure.crypto;

import java.security.Provider;
import java.security.SecureRandom;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The Bouncy Castle provider instance and the random source used by this package. */
public final class Providers {

    /** Passed explicitly to JCA calls; deliberately not added with {@code Security.addProvider}. */
    public static final Provider BC = new BouncyCastleProvider();

    private static final SecureRandom RANDOM = new SecureRandom();

    private Providers() {
    }

    /** The shared strong random source. */
    public static SecureRandom random() {
        return RANDOM;
    }

    /** Fresh random bytes. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}

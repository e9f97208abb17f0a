package org.ehrledger.ejb.infrastructure.crypto;

import java.security.Provider;
import java.security.SecureRandom;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The Bouncy Castle provider instance and the random source used by this package. */
public final class Providers {

    /** Passed explicitly to JCA calls; deliberately not added with {@code Security.addProvider}. */
    public static final Provider BC = new BouncyCastleProvider();

    /**
     * One strong generator per thread: the default {@code NativePRNG} serialises every caller on one
     * lock, which under load (a nonce, a data key and an ephemeral key per record) becomes a queue.
     */
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(() -> {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (java.security.NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    });

    private Providers() {
    }

    /** The shared strong random source. */
    public static SecureRandom random() {
        return RANDOM.get();
    }

    /** Fresh random bytes. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.get().nextBytes(b);
        return b;
    }
}

package org.ehrledger.consensus.crypto;

import java.security.SecureRandom;
import java.util.Random;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

/** Generation of a node's Ed25519 signing key and X25519 agreement key. */
public final class KeyPairs {

    private KeyPairs() {
    }

    /** Fresh keys from a strong random source, for real deployments. */
    public static NodeKeys generate() {
        SecureRandom random = new SecureRandom();
        return new NodeKeys(new Ed25519PrivateKeyParameters(random).getEncoded(),
                new X25519PrivateKeyParameters(random).getEncoded());
    }

    /** Keys derived from a seed, for reproducible tests and simulations only. */
    public static NodeKeys deterministic(long seed) {
        Random random = new Random(seed * 1_000_003L + 17);
        byte[] signing = new byte[32];
        byte[] agreement = new byte[32];
        random.nextBytes(signing);
        random.nextBytes(agreement);
        return new NodeKeys(signing, agreement);
    }
}

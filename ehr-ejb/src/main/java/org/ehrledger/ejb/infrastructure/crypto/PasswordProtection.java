package org.ehrledger.ejb.infrastructure.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stores a user's private keys encrypted under a key derived from the password with
 * PBKDF2-HMAC-SHA256 (600,000 iterations by default, OWASP 2023) and AES-256-GCM. The blob carries
 * its version, iteration count, salt and nonce, so the cost can be raised later without breaking
 * existing users.
 */
public final class PasswordProtection {

    /** Iterations for new blobs. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    /** The lowest iteration count accepted when opening a blob. */
    public static final int MIN_ITERATIONS = 10_000;

    private static final int VERSION = 1;

    private final int iterations;

    /** Protection with the default cost. */
    public PasswordProtection() {
        this(DEFAULT_ITERATIONS);
    }

    /** Protection with an explicit cost (tests use a low one). */
    public PasswordProtection(int iterations) {
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("at least " + MIN_ITERATIONS + " PBKDF2 iterations");
        }
        this.iterations = iterations;
    }

    /** Encrypts both private keys of a user under the password. */
    public byte[] protect(UserKeys keys, char[] password) {
        byte[] ed = keys.signing().getPrivate().getEncoded();
        byte[] x = keys.encryption().getPrivate().getEncoded();
        byte[] edPub = keys.signing().getPublic().getEncoded();
        byte[] xPub = keys.encryption().getPublic().getEncoded();
        ByteBuffer plain = ByteBuffer.allocate(16 + ed.length + x.length + edPub.length + xPub.length);
        plain.putInt(ed.length).put(ed).putInt(x.length).put(x).putInt(edPub.length).put(edPub)
                .putInt(xPub.length).put(xPub);
        byte[] salt = Providers.randomBytes(16);
        byte[] nonce = Providers.randomBytes(12);
        byte[] header = ByteBuffer.allocate(36).putInt(VERSION).putInt(iterations).put(salt).put(nonce).array();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, derive(password, salt, iterations), new GCMParameterSpec(128, nonce));
            c.updateAAD(header);
            byte[] sealed = c.doFinal(plain.array());
            return ByteBuffer.allocate(header.length + sealed.length).put(header).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot protect the private keys", e);
        }
    }

    /**
     * Opens a blob written by {@link #protect}.
     *
     * @throws WrongPasswordException if the password is wrong or the blob was altered
     */
    public UserKeys open(byte[] blob, char[] password) {
        ByteBuffer in = ByteBuffer.wrap(blob);
        if (blob.length < 36 + 16 || in.getInt() != VERSION) {
            throw new CryptoException("not a protected key blob of a known version");
        }
        int iter = in.getInt();
        if (iter < MIN_ITERATIONS || iter > 10_000_000) {
            throw new CryptoException("implausible iteration count " + iter);
        }
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        in.get(salt).get(nonce);
        byte[] sealed = new byte[in.remaining()];
        in.get(sealed);
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, derive(password, salt, iter), new GCMParameterSpec(128, nonce));
            c.updateAAD(blob, 0, 36);
            plain = c.doFinal(sealed);
        } catch (AEADBadTagException e) {
            throw new WrongPasswordException();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot open the private keys", e);
        }
        ByteBuffer p = ByteBuffer.wrap(plain);
        byte[] ed = next(p);
        byte[] x = next(p);
        byte[] edPub = next(p);
        byte[] xPub = next(p);
        return new UserKeys(
                new KeyPair(UserKeys.publicKey("Ed25519", edPub), UserKeys.privateKey("Ed25519", ed)),
                new KeyPair(UserKeys.publicKey("X25519", xPub), UserKeys.privateKey("X25519", x)));
    }

    private static byte[] next(ByteBuffer p) {
        byte[] b = new byte[p.getInt()];
        p.get(b);
        return b;
    }

    private static SecretKeySpec derive(char[] password, byte[] salt, int iterations) throws GeneralSecurityException {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return new SecretKeySpec(key, "AES");
        } finally {
            spec.clearPassword();
        }
    }
}

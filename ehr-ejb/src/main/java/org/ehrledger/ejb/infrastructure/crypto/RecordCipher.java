package org.ehrledger.ejb.infrastructure.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM encryption of one clinical record under a fresh data key. The associated data binds the
 * ciphertext to its record (id, patient, category), so a ciphertext moved to another record fails to open.
 */
public final class RecordCipher {

    /** Length of a data key. */
    public static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;

    private RecordCipher() {
    }

    /** A fresh random data key for one record. */
    public static byte[] newDataKey() {
        return Providers.randomBytes(KEY_BYTES);
    }

    /** Encrypts; the result is {@code nonce || ciphertext || tag}. */
    public static byte[] encrypt(byte[] dataKey, byte[] plaintext, byte[] associatedData) {
        byte[] nonce = Providers.randomBytes(NONCE_BYTES);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(associatedData);
            byte[] sealed = c.doFinal(plaintext);
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot encrypt the record", e);
        }
    }

    /**
     * Decrypts what {@link #encrypt} produced.
     *
     * @throws CryptoException if the key is wrong or the ciphertext or its associated data changed
     */
    public static byte[] decrypt(byte[] dataKey, byte[] encrypted, byte[] associatedData) {
        if (encrypted.length < NONCE_BYTES + 16) {
            throw new CryptoException("ciphertext too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"),
                    new GCMParameterSpec(128, encrypted, 0, NONCE_BYTES));
            c.updateAAD(associatedData);
            return c.doFinal(encrypted, NONCE_BYTES, encrypted.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new CryptoException("the record does not decrypt: wrong key, or the ciphertext was altered");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot decrypt the record", e);
        }
    }
}

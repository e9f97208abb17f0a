package org.ehrledger.ejb.infrastructure.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Wraps a record's data key for one reader: an ephemeral X25519 key agrees with the reader's X25519
 * public key, HKDF-SHA256 derives a key-encryption key bound to both public keys and a context (the
 * record id), and AES-256-GCM encrypts the data key. Only the reader's private key unwraps it.
 */
public final class KeyWrap {

    private static final byte[] INFO = "ehr-ledger record key wrap v1".getBytes(StandardCharsets.US_ASCII);

    private KeyWrap() {
    }

    /** A data key wrapped for one reader: ephemeral public key (X.509 encoding), nonce and ciphertext. */
    public record Wrapped(byte[] ephemeralPublic, byte[] nonce, byte[] ciphertext) {

        /** Encodes as {@code len || ephemeral || nonce || ciphertext}. */
        public byte[] encode() {
            return ByteBuffer.allocate(4 + ephemeralPublic.length + nonce.length + ciphertext.length)
                    .putInt(ephemeralPublic.length).put(ephemeralPublic).put(nonce).put(ciphertext).array();
        }

        /** Decodes {@link #encode()}. */
        public static Wrapped decode(byte[] encoded) {
            try {
                ByteBuffer in = ByteBuffer.wrap(encoded);
                int len = in.getInt();
                if (len < 32 || len > 128) {
                    throw new CryptoException("not a wrapped key");
                }
                byte[] eph = new byte[len];
                byte[] nonce = new byte[12];
                in.get(eph).get(nonce);
                byte[] ct = new byte[in.remaining()];
                in.get(ct);
                return new Wrapped(eph, nonce, ct);
            } catch (RuntimeException e) {
                throw e instanceof CryptoException ce ? ce : new CryptoException("not a wrapped key", e);
            }
        }
    }

    /** Wraps {@code dataKey} for the holder of {@code readerPublic} (X25519), bound to {@code context}. */
    public static Wrapped wrap(byte[] dataKey, PublicKey readerPublic, byte[] context) {
        return sender().wrap(dataKey, readerPublic, context);
    }

    /** A sender with a fresh ephemeral key, to wrap one record's data key for each of its readers. */
    public static Sender sender() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("X25519", Providers.BC);
            generator.initialize(255, Providers.random());
            return new Sender(generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot wrap the record key", e);
        }
    }

    /**
     * One ephemeral X25519 key wrapping a record's data key for several readers (one key generation per record
     * instead of one per reader). Each reader's key-encryption key still comes from its own agreement, with both
     * public keys in the HKDF salt and a fresh nonce per wrap, so two readers' wraps share nothing secret; the
     * encoding is unchanged and every wrap unwraps alone. Use one sender for one record only.
     */
    public static final class Sender {

        private final KeyPair ephemeral;
        private final byte[] ephemeralPublic;

        private Sender(KeyPair ephemeral) {
            this.ephemeral = ephemeral;
            this.ephemeralPublic = ephemeral.getPublic().getEncoded();
        }

        /** Wraps {@code dataKey} for the holder of {@code readerPublic} (X25519), bound to {@code context}. */
        public Wrapped wrap(byte[] dataKey, PublicKey readerPublic, byte[] context) {
            try {
                byte[] kek = kek(ephemeral.getPrivate(), readerPublic, ephemeralPublic, readerPublic.getEncoded(),
                        context);
                byte[] nonce = Providers.randomBytes(12);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, nonce));
                c.updateAAD(context);
                return new Wrapped(ephemeralPublic.clone(), nonce, c.doFinal(dataKey));
            } catch (GeneralSecurityException e) {
                throw new CryptoException("cannot wrap the record key", e);
            }
        }
    }

    /**
     * Unwraps with the reader's private key.
     *
     * @throws CryptoException if this key is not the one it was wrapped for, or anything was altered
     */
    public static byte[] unwrap(Wrapped wrapped, PrivateKey readerPrivate, PublicKey readerPublic, byte[] context) {
        try {
            PublicKey eph = UserKeys.publicKey("X25519", wrapped.ephemeralPublic());
            byte[] kek = kek(readerPrivate, eph, wrapped.ephemeralPublic(), readerPublic.getEncoded(), context);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, wrapped.nonce()));
            c.updateAAD(context);
            return c.doFinal(wrapped.ciphertext());
        } catch (AEADBadTagException e) {
            throw new CryptoException("the record key was not wrapped for this reader, or was altered");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot unwrap the record key", e);
        }
    }

    private static byte[] kek(PrivateKey own, PublicKey other, byte[] ephemeralPublic, byte[] readerPublic,
                              byte[] context) throws GeneralSecurityException {
        KeyAgreement ka = KeyAgreement.getInstance("X25519", Providers.BC);
        ka.init(own);
        ka.doPhase(other, true);
        byte[] shared = ka.generateSecret();
        byte[] salt = ByteBuffer.allocate(ephemeralPublic.length + readerPublic.length).put(ephemeralPublic)
                .put(readerPublic).array();
        byte[] info = ByteBuffer.allocate(INFO.length + context.length).put(INFO).put(context).array();
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(shared, salt, info));
        byte[] kek = new byte[32];
        hkdf.generateBytes(kek, 0, kek.length);
        return kek;
    }
}

package org.ehrledger.ejb.infrastructure.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;

/**
 * A user's two key pairs: Ed25519 to sign transactions, X25519 to receive record keys. Private keys
 * leave this object only encrypted ({@link PasswordProtection}) or in a password-protected PKCS#12
 * file ({@link Pkcs12}).
 */
public final class UserKeys {

    private final KeyPair signing;
    private final KeyPair encryption;

    /** Wraps existing key pairs. */
    public UserKeys(KeyPair signing, KeyPair encryption) {
        this.signing = signing;
        this.encryption = encryption;
    }

    /** Generates fresh key pairs. */
    public static UserKeys generate() {
        try {
            KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519", Providers.BC);
            KeyPairGenerator x = KeyPairGenerator.getInstance("X25519", Providers.BC);
            return new UserKeys(ed.generateKeyPair(), x.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot generate user keys", e);
        }
    }

    /** Ed25519 key pair. */
    public KeyPair signing() {
        return signing;
    }

    /** X25519 key pair. */
    public KeyPair encryption() {
        return encryption;
    }

    /** Signs with the Ed25519 private key. */
    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519", Providers.BC);
            s.initSign(signing.getPrivate());
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot sign", e);
        }
    }

    /** Verifies an Ed25519 signature by the given public key; false for anything malformed. */
    public static boolean verify(PublicKey signingKey, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519", Providers.BC);
            s.initVerify(signingKey);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static final byte[] ED25519_SPKI = java.util.HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] X25519_SPKI = java.util.HexFormat.of().parseHex("302a300506032b656e032100");

    /**
     * Decodes an X.509 SubjectPublicKeyInfo ({@code "Ed25519"} or {@code "X25519"}). Only the exact
     * 44-byte encoding is accepted, checked before any ASN.1 parsing, so hostile input can never drive
     * the parser (deep nesting would otherwise overflow the stack, differently on each replica).
     */
    public static PublicKey publicKey(String algorithm, byte[] encoded) {
        byte[] prefix = "Ed25519".equals(algorithm) ? ED25519_SPKI : "X25519".equals(algorithm) ? X25519_SPKI : null;
        if (prefix == null || encoded == null || encoded.length != prefix.length + 32
                || !java.util.Arrays.equals(encoded, 0, prefix.length, prefix, 0, prefix.length)) {
            throw new CryptoException("not a valid " + algorithm + " public key (expected its 44-byte X.509 encoding)");
        }
        try {
            return KeyFactory.getInstance(algorithm, Providers.BC).generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CryptoException("not a valid " + algorithm + " public key", e);
        }
    }

    /** Decodes a PKCS#8 private key. */
    static PrivateKey privateKey(String algorithm, byte[] encoded) {
        try {
            return KeyFactory.getInstance(algorithm, Providers.BC).generatePrivate(new PKCS8EncodedKeySpec(encoded));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CryptoException("not a valid " + algorithm + " private key", e);
        }
    }

    @Override
    public String toString() {
        return "UserKeys[private keys hidden]";
    }
}

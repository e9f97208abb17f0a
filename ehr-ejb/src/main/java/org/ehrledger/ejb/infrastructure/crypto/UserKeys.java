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

    /** Decoded Ed25519 public keys by their raw bytes (decoding a point costs about as much as a verification). */
    private static final java.util.concurrent.ConcurrentHashMap<java.nio.ByteBuffer,
            org.bouncycastle.crypto.params.Ed25519PublicKeyParameters> DECODED = new java.util.concurrent.ConcurrentHashMap<>();
    /** Signatures found valid recently, by the SHA-256 of key, message and signature (see {@link #verifyEd25519}). */
    private static final java.util.Set<org.ehrledger.consensus.codec.Digest> VERIFIED =
            java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final int CACHE_LIMIT = 65_536;

    /**
     * Verifies an Ed25519 signature by a key in its 44-byte X.509 encoding; false for anything malformed.
     * Valid signatures are remembered for a while, so a transaction checked ahead of time (in parallel,
     * while a block is prepared) is not checked again when the contracts run; the outcome is the same.
     */
    public static boolean verifyEd25519(byte[] spki, byte[] message, byte[] signature) {
        if (spki == null || spki.length != ED25519_SPKI.length + 32 || signature == null || signature.length != 64
                || !java.util.Arrays.equals(spki, 0, ED25519_SPKI.length, ED25519_SPKI, 0, ED25519_SPKI.length)) {
            return false;
        }
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CryptoException("SHA-256 is missing from this JDK", e);
        }
        md.update(spki);
        md.update(message);
        md.update(signature);
        org.ehrledger.consensus.codec.Digest memo = org.ehrledger.consensus.codec.Digest.of(md.digest());
        if (VERIFIED.contains(memo)) {
            return true;
        }
        org.bouncycastle.crypto.params.Ed25519PublicKeyParameters key;
        try {
            key = DECODED.computeIfAbsent(java.nio.ByteBuffer.wrap(spki.clone(), ED25519_SPKI.length, 32).slice(),
                    b -> new org.bouncycastle.crypto.params.Ed25519PublicKeyParameters(spki, ED25519_SPKI.length));
        } catch (RuntimeException e) {
            return false;
        }
        if (DECODED.size() > CACHE_LIMIT) {
            DECODED.clear();
        }
        boolean ok = key.verify(org.bouncycastle.math.ec.rfc8032.Ed25519.Algorithm.Ed25519, null, message, 0,
                message.length, signature, 0);
        if (ok) {
            if (VERIFIED.size() > CACHE_LIMIT) {
                VERIFIED.clear();
            }
            VERIFIED.add(memo);
        }
        return ok;
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

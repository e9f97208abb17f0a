package org.ehrledger.consensus.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

/**
 * The private keys of one node (replica or client): an Ed25519 signing key and an X25519 key
 * agreement key. {@link #toString()} never prints key material.
 */
public final class NodeKeys {

    private final Ed25519PrivateKeyParameters signing;
    private final X25519PrivateKeyParameters agreement;

    /** Builds the keys from their 32-byte raw encodings. */
    public NodeKeys(byte[] signingPrivate, byte[] agreementPrivate) {
        this.signing = new Ed25519PrivateKeyParameters(signingPrivate, 0);
        this.agreement = new X25519PrivateKeyParameters(agreementPrivate, 0);
    }

    /** Parses the {@code base64(signing):base64(agreement)} form written by {@link #encode()}. */
    public static NodeKeys decode(String encoded) {
        String[] parts = encoded.trim().split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("a private key line has the form <signing>:<agreement> in base64");
        }
        Base64.Decoder b64 = Base64.getDecoder();
        return new NodeKeys(b64.decode(parts[0]), b64.decode(parts[1]));
    }

    /** The private keys as {@code base64(signing):base64(agreement)}; keep it secret. */
    public String encode() {
        Base64.Encoder b64 = Base64.getEncoder();
        return b64.encodeToString(signing.getEncoded()) + ":" + b64.encodeToString(agreement.getEncoded());
    }

    Ed25519PrivateKeyParameters signing() {
        return signing;
    }

    X25519PrivateKeyParameters agreement() {
        return agreement;
    }

    /** The public half, as published in the genesis configuration or client directory. */
    public PublicKeys publicKeys() {
        return new PublicKeys(signing.generatePublicKey().getEncoded(), agreement.generatePublicKey().getEncoded());
    }

    /**
     * The Ed25519 signing key as JDK key objects, for TLS on the node's links (the certificate and the
     * handshake signature use the same genesis key that signs protocol messages).
     */
    public KeyPair signingKeyPair() {
        try {
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            return new KeyPair(factory.generatePublic(new X509EncodedKeySpec(publicKeys().signingX509())),
                    factory.generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, signing.getEncoded()))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519 provider", e);
        }
    }

    /** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410) before its 32 raw bytes. */
    private static final byte[] PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20};

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public String toString() {
        return "NodeKeys[" + publicKeys() + "]";
    }
}

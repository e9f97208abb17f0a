package org.ehrledger.consensus.crypto;

import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/** The public keys of a node: Ed25519 for signatures, X25519 for deriving HMAC link keys. */
public final class PublicKeys {

    private final byte[] signing;
    private final byte[] agreement;
    private final Ed25519PublicKeyParameters signingParams;
    private final X25519PublicKeyParameters agreementParams;

    /** Builds public keys from their 32-byte raw encodings. */
    public PublicKeys(byte[] signing, byte[] agreement) {
        this.signing = signing.clone();
        this.agreement = agreement.clone();
        this.signingParams = new Ed25519PublicKeyParameters(signing, 0);
        this.agreementParams = new X25519PublicKeyParameters(agreement, 0);
    }

    /** Parses the {@code base64(signing):base64(agreement)} form. */
    public static PublicKeys decode(String encoded) {
        String[] parts = encoded.trim().split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("a public key has the form <signing>:<agreement> in base64");
        }
        Base64.Decoder b64 = Base64.getDecoder();
        return new PublicKeys(b64.decode(parts[0]), b64.decode(parts[1]));
    }

    /** {@code base64(signing):base64(agreement)}. */
    public String encode() {
        Base64.Encoder b64 = Base64.getEncoder();
        return b64.encodeToString(signing) + ":" + b64.encodeToString(agreement);
    }

    /** Raw Ed25519 public key (copy). */
    public byte[] signingKey() {
        return signing.clone();
    }

    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410) before its 32 raw bytes. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    /** The Ed25519 key as an X.509 SubjectPublicKeyInfo (the form of {@link java.security.PublicKey#getEncoded()}). */
    public byte[] signingX509() {
        return NodeKeys.concat(X509_PREFIX, signing);
    }

    /** Whether a JDK public key (e.g. from a peer's TLS certificate) is this node's Ed25519 key. */
    public boolean isSigningKey(java.security.PublicKey key) {
        return key != null && java.security.MessageDigest.isEqual(signingX509(), key.getEncoded());
    }

    Ed25519PublicKeyParameters signingParams() {
        return signingParams;
    }

    X25519PublicKeyParameters agreementParams() {
        return agreementParams;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKeys p && Arrays.equals(signing, p.signing) && Arrays.equals(agreement, p.agreement);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signing) * 31 + Arrays.hashCode(agreement);
    }

    @Override
    public String toString() {
        return "ed25519:" + Base64.getEncoder().encodeToString(signing).substring(0, 10) + "…";
    }
}

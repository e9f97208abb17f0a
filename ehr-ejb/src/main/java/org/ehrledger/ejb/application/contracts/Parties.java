package org.ehrledger.ejb.application.contracts;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;

import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Who takes part in a transaction, as every family of contracts checks it: the author authenticated by
 * their signature against the on-chain registry, the patient named in a body, and the keys and
 * certificates a registration presents.
 */
final class Parties {

    private final WorldState state;

    Parties(WorldState state) {
        this.state = state;
    }

    /** The registered, unrevoked author whose key verifies the signature. */
    User author(SignedTransaction tx) {
        User u = state.user(tx.author());
        if (u == null) {
            throw new Rejected("unknown author " + tx.author());
        }
        if (u.revoked()) {
            throw new Rejected("the certificate of " + tx.author() + " is revoked");
        }
        if (u.recovering()) {
            throw new Rejected("the keys of " + tx.author() + " were retired by an approved recovery");
        }
        if (!UserKeys.verifyEd25519(u.signingKey(), tx.signedBytes(), tx.signature())) {
            throw new Rejected("signature does not verify with the registered key of " + tx.author());
        }
        return u;
    }

    /** The registered patient of that id. */
    User patient(String id) {
        User p = state.user(id);
        if (p == null || p.role() != Role.PATIENT) {
            throw new Rejected("unknown patient " + id);
        }
        return p;
    }

    /**
     * One key pair, one account: keys another user already registered are refused, so nobody holds the
     * administrator role and a practitioner role under the same keys.
     */
    void requireUnusedKeys(byte[][] keys, String userId) {
        if (state.keysInUse(keys[0], keys[1], userId)) {
            throw new Rejected("these keys are registered to another account; every account has its own keys");
        }
    }

    static PublicKey key(String algorithm, byte[] encoded) {
        try {
            return UserKeys.publicKey(algorithm, encoded);
        } catch (CryptoException e) {
            throw new Rejected("not a valid " + algorithm + " public key");
        }
    }

    static void requireSelfSigned(SignedTransaction tx, byte[] signingKey) {
        key("Ed25519", signingKey); // a malformed key is refused as such, before any signature check
        if (!UserKeys.verifyEd25519(signingKey, tx.signedBytes(), tx.signature())) {
            throw new Rejected("signature does not verify with the key being registered");
        }
    }

    /** The certificate must come from the organisation's CA, be valid now and certify exactly this key. */
    static void requireCertified(byte[] certificate, byte[] caCertificate, byte[] publicKey, long now,
                                 String what, String userId, Role role) {
        X509Certificate cert;
        X509Certificate ca;
        try {
            cert = MembershipCa.parse(certificate);
            ca = MembershipCa.parse(caCertificate);
        } catch (CryptoException e) {
            throw new Rejected(what + ": not a valid certificate");
        }
        if (!MembershipCa.isIssuedBy(cert, ca, Instant.ofEpochMilli(now))) {
            throw new Rejected(what + ": certificate not issued by the organisation's CA, or expired");
        }
        PublicKey certified;
        try {
            certified = cert.getPublicKey();
        } catch (RuntimeException e) {
            certified = null;
        }
        if (certified == null || !Arrays.equals(certified.getEncoded(), publicKey)) {
            throw new Rejected(what + ": certificate is for another key");
        }
        // The certificate names who and what: CN = the user id, OU = the role, and it is no CA.
        if (!(userId.equals(MembershipCa.subjectField(cert, "CN")) && role.name().equals(MembershipCa.subjectField(cert, "OU")))
                || cert.getBasicConstraints() != -1) {
            throw new Rejected(what + ": certificate is not issued to " + userId + " as " + role);
        }
    }

    /** The signing and encryption keys of a body, each certified by the organisation's CA. */
    static byte[][] certifiedKeys(Fields b, Organisation org, long now, String userId, Role role) {
        byte[] signing = b.bytes("signingKey");
        byte[] encryption = b.bytes("encryptionKey");
        key("Ed25519", signing);
        key("X25519", encryption);
        requireCertified(b.bytes("signingCertificate"), org.caCertificate(), signing, now, "signing key", userId, role);
        requireCertified(b.bytes("encryptionCertificate"), org.caCertificate(), encryption, now, "encryption key", userId,
                role);
        return new byte[][] {signing, encryption};
    }
}

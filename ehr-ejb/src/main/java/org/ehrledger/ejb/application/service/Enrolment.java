package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.Turns;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.PasswordProtection;
import org.ehrledger.ejb.infrastructure.crypto.Providers;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentCode;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentRow;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentStore;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * New credentials for a person of this replica's organisation: fresh Ed25519 and X25519 key pairs,
 * both certified by the organisation's membership CA, and the private keys sealed.
 * <p>
 * People who sign up themselves seal their keys under their own password at once. People registered by
 * someone else (an administrator, the registration desk, the operator's bootstrap) get first keys, which
 * the registration needs on chain, sealed under this replica's enrolment key, and a one-time enrolment
 * code for whoever registers them to hand over. The code is no password: it never signs in, only a verifier
 * of it is stored, and it expires ({@code ehr.enrolment.code-hours}, 72 by default). When the person
 * enrols ({@link EnrolmentService}) their first keys sign a key rotation to keys generated then and sealed
 * under the password they choose, so nobody who saw the code ever held the keys they use.
 */
@ApplicationScoped
public class Enrolment {

    /** Most codes issued for one enrolment (the first and the re-issues). */
    public static final int MAX_CODES = 5;

    private static final char[] PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    private static final byte[] PENDING_LABEL = "ehr-ledger pending keys v1\0".getBytes(StandardCharsets.US_ASCII);

    @Inject
    OrganisationCa organisation;

    @Inject
    EnrolmentStore enrolments;

    /** How long an enrolment code is valid, in hours. */
    @Inject
    @ConfigProperty(name = "ehr.enrolment.code-hours", defaultValue = "72")
    long codeHours;

    private final PasswordProtection protection = new PasswordProtection();
    /** Password derivations, one per core at once, waiting at most 20 s for a turn. */
    private final Turns derivations = Turns.perCore(20_000,
            "many people are signing in at this replica at once; try again in a few seconds");
    /** The pending seal's secret is random and long: the minimum cost suffices. */
    private final PasswordProtection pendingProtection = new PasswordProtection(PasswordProtection.MIN_ITERATIONS);

    /** Keys, certificates and the sealed private keys of one person (empty when not sealed). */
    public record Enrolled(String userId, Role role, UserKeys keys, byte[] signingCertificate,
                           byte[] encryptionCertificate, byte[] sealedKeys) {

        /**
         * Adds the public keys and certificates as registration transactions carry them: {@code signingKey}
         * and so on, or {@code adminSigningKey} and so on with the prefix {@code admin}.
         */
        public Fields.Builder putPublic(Fields.Builder b, String prefix) {
            return b.put(name(prefix, "signingKey"), keys.signing().getPublic().getEncoded())
                    .put(name(prefix, "encryptionKey"), keys.encryption().getPublic().getEncoded())
                    .put(name(prefix, "signingCertificate"), signingCertificate)
                    .put(name(prefix, "encryptionCertificate"), encryptionCertificate);
        }

        private static String name(String prefix, String field) {
            return prefix.isEmpty() ? field : prefix + Character.toUpperCase(field.charAt(0)) + field.substring(1);
        }
    }

    /** A one-time enrolment code as issued: shown once to whoever registered the person, never stored. */
    public record IssuedCode(String userId, String code, long expiresAt) {

        /** The expiry as an ISO-8601 instant. */
        public String expiresAtIso() {
            return Instant.ofEpochMilli(expiresAt).toString();
        }
    }

    /** A person registered by someone else: their first keys (sealed by this replica) and their code. */
    public record Pending(Enrolled enrolled, IssuedCode code) {
    }

    /** Enrols a person under the given password (self-service sign-up). */
    public Enrolled enrol(String userId, Role role, char[] password) {
        UserKeys keys = UserKeys.generate();
        return certified(userId, role, keys, seal(keys, password));
    }

    /**
     * First keys for a person registered by someone else, sealed under this replica's enrolment key, and a
     * new code; {@link #awaitEnrolment} stores the code's verifier once the registration is committed.
     */
    public Pending register(String userId, Role role) {
        UserKeys keys = UserKeys.generate();
        return new Pending(certified(userId, role, keys, pendingProtection.protect(keys, pendingSecret(userId))),
                newCode(userId));
    }

    /** Certificates of the organisation's CA for keys (nothing sealed). */
    public Enrolled certify(String userId, Role role, UserKeys keys) {
        return certified(userId, role, keys, new byte[0]);
    }

    private Enrolled certified(String userId, Role role, UserKeys keys, byte[] sealed) {
        MembershipCa ca = organisation.ca();
        try {
            byte[] signing = ca.certify(userId, role.name(), keys.signing().getPublic()).getEncoded();
            byte[] encryption = ca.certify(userId, role.name(), keys.encryption().getPublic()).getEncoded();
            return new Enrolled(userId, role, keys, signing, encryption, sealed);
        } catch (CertificateEncodingException e) {
            throw new CryptoException("cannot encode a certificate", e);
        }
    }

    /** A new code for a person, valid for the configured hours from now. */
    IssuedCode newCode(String userId) {
        return new IssuedCode(userId, EnrolmentCode.generate(), System.currentTimeMillis() + codeHours * 3_600_000L);
    }

    /** Records that a person registered by someone else awaits enrolment with the code issued. */
    public void awaitEnrolment(IssuedCode code) {
        enrolments.add(new EnrolmentRow(code.userId(), EnrolmentCode.verifier(code.userId(), code.code()), code.expiresAt()));
    }

    /** Whether a person was registered by someone else and has not enrolled yet. */
    public boolean awaitsEnrolment(String userId) {
        return enrolments.find(userId) != null;
    }

    /** Who awaits enrolment among the given people. */
    public java.util.Set<String> awaitingEnrolment(java.util.Collection<String> userIds) {
        return enrolments.awaitingAmong(userIds);
    }

    /**
     * Why a person who has not enrolled cannot sign in with what they typed, if it is their enrolment code
     * ({@link ErrorCode#ENROLMENT_REQUIRED}, or {@link ErrorCode#ENROLMENT_CODE_EXPIRED}); null for anything
     * else, which the caller answers as any wrong password (so nobody learns who awaits enrolment).
     */
    public EhrException codeInsteadOfPassword(String userId, char[] typed) {
        EnrolmentRow e = enrolments.find(userId);
        if (e == null || typed == null || !EnrolmentCode.matches(e.codeVerifier(), userId, java.nio.CharBuffer.wrap(typed))) {
            return null;
        }
        return e.expired(System.currentTimeMillis()) ? expiredCode(e.expiresAt())
                : new EhrException(ErrorCode.ENROLMENT_REQUIRED, "this is your enrolment code, not a password: complete "
                        + "your enrolment first and choose your password (portal: Complete enrolment on the sign-in page; "
                        + "API: POST /api/v1/enrolments)");
    }

    /** The answer to a right code past its expiry. */
    static EhrException expiredCode(long expiresAt) {
        return new EhrException(ErrorCode.ENROLMENT_CODE_EXPIRED, "your enrolment code expired at "
                + Instant.ofEpochMilli(expiresAt) + "; ask your administrator (or the registration desk) for a new one");
    }

    /** Opens keys sealed under a password ({@code WrongPasswordException} if it is wrong). */
    public UserKeys open(byte[] sealed, char[] password) {
        return derivations.run(() -> protection.open(sealed, password));
    }

    /** Seals keys under a password. */
    public byte[] seal(UserKeys keys, char[] password) {
        return derivations.run(() -> protection.protect(keys, password));
    }

    /** Opens the first keys of a person awaiting enrolment (sealed by {@link #register}). */
    UserKeys openPending(String userId, byte[] sealed) {
        return pendingProtection.open(sealed, pendingSecret(userId));
    }

    /** The secret sealing a person's first keys: HMAC-SHA256 of their id under this replica's enrolment key. */
    private char[] pendingSecret(String userId) {
        byte[] key = organisation.enrolmentKey();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(PENDING_LABEL);
            return Base64.getEncoder().encodeToString(mac.doFinal(userId.getBytes(StandardCharsets.UTF_8))).toCharArray();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("cannot derive the pending seal", e);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    /** A random secret nobody is told (the sign-in decoy's). */
    public static char[] randomPassword() {
        java.security.SecureRandom random = Providers.random();
        char[] p = new char[20];
        for (int i = 0; i < p.length; i++) {
            p[i] = PASSWORD_ALPHABET[random.nextInt(PASSWORD_ALPHABET.length)];
        }
        return p;
    }
}

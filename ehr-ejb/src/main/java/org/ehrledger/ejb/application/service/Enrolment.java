package org.ehrledger.ejb.application.service;

import java.security.cert.CertificateEncodingException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.PasswordProtection;
import org.ehrledger.ejb.infrastructure.crypto.Providers;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * New credentials for a person of this replica's organisation: fresh Ed25519 and X25519 key pairs,
 * both certified by the organisation's membership CA, and the private keys sealed under a password.
 */
@ApplicationScoped
public class Enrolment {

    private static final char[] PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

    @Inject
    OrganisationCa organisation;

    private final PasswordProtection protection = new PasswordProtection();

    /** Keys, certificates and the sealed private keys of one person. */
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

    /** Enrols a person under the given password. */
    public Enrolled enrol(String userId, Role role, char[] password) {
        UserKeys keys = UserKeys.generate();
        MembershipCa ca = organisation.ca();
        try {
            byte[] signing = ca.certify(userId, role.name(), keys.signing().getPublic()).getEncoded();
            byte[] encryption = ca.certify(userId, role.name(), keys.encryption().getPublic()).getEncoded();
            return new Enrolled(userId, role, keys, signing, encryption, protection.protect(keys, password));
        } catch (CertificateEncodingException e) {
            throw new CryptoException("cannot encode a certificate", e);
        }
    }

    /** Opens sealed keys with a password ({@code WrongPasswordException} if it is wrong). */
    public UserKeys open(byte[] sealed, char[] password) {
        return protection.open(sealed, password);
    }

    /** A random initial password (20 characters, about 115 bits), shown once to whoever hands it over. */
    public static char[] randomPassword() {
        java.security.SecureRandom random = Providers.random();
        char[] p = new char[20];
        for (int i = 0; i < p.length; i++) {
            p[i] = PASSWORD_ALPHABET[random.nextInt(PASSWORD_ALPHABET.length)];
        }
        return p;
    }
}

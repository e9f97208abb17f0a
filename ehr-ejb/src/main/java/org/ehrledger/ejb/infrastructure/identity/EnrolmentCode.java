package org.ehrledger.ejb.infrastructure.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.infrastructure.crypto.Providers;

/**
 * One-time enrolment codes: 24 random characters of Crockford's base32 (120 bits), shown once in groups of
 * four ({@code 7K3M-X9QX-...}). Only a verifier is stored: SHA-256 over a domain label, the user id and the
 * normalised code, so a code is bound to its person. A fast hash is enough because the code is random and
 * long (no dictionary to try); attempts are throttled like passwords all the same.
 */
public final class EnrolmentCode {

    /** Characters of a code (Crockford's base32: no I, L, O or U). */
    static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    /** Characters per code: 24 x 5 bits = 120 bits. */
    public static final int LENGTH = 24;
    private static final String LABEL = "ehr-ledger enrolment code v1\0";

    private EnrolmentCode() {
    }

    /** A fresh random code, grouped by four for reading aloud or typing. */
    public static String generate() {
        var random = Providers.random();
        StringBuilder b = new StringBuilder(LENGTH + LENGTH / 4);
        for (int i = 0; i < LENGTH; i++) {
            if (i > 0 && i % 4 == 0) {
                b.append('-');
            }
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    /**
     * The code as typed, without separators and spaces, upper case, with the letters people confuse read as
     * the digits they look like (O as 0, I and L as 1); null if it cannot be a code.
     */
    public static String normalise(CharSequence typed) {
        if (typed == null || typed.length() > 64) {
            return null;
        }
        StringBuilder b = new StringBuilder(LENGTH);
        for (int i = 0; i < typed.length(); i++) {
            char c = Character.toUpperCase(typed.charAt(i));
            if (c == '-' || c == ' ') {
                continue;
            }
            c = c == 'O' ? '0' : c == 'I' || c == 'L' ? '1' : c;
            if (ALPHABET.indexOf(c) < 0) {
                return null;
            }
            b.append(c);
        }
        return b.length() == LENGTH ? b.toString() : null;
    }

    /** The verifier stored for a person's code (hex SHA-256); null if the code is malformed. */
    public static String verifier(String userId, CharSequence code) {
        String normal = normalise(code);
        if (normal == null || userId == null) {
            return null;
        }
        return Digest.sha256((LABEL + userId + "\0" + normal).getBytes(StandardCharsets.UTF_8)).hex();
    }

    /** Whether a typed code is the one a verifier was made from (in constant time). */
    public static boolean matches(String storedVerifier, String userId, CharSequence typed) {
        String presented = verifier(userId, typed);
        if (storedVerifier == null || presented == null || storedVerifier.length() != presented.length()) {
            return false;
        }
        return MessageDigest.isEqual(HexFormat.of().parseHex(storedVerifier.toLowerCase(Locale.ROOT)),
                HexFormat.of().parseHex(presented));
    }
}

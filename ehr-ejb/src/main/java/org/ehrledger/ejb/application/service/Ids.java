package org.ehrledger.ejb.application.service;

import java.util.regex.Pattern;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.infrastructure.crypto.Providers;

/** Identifiers people read and type: Crockford base32 (no I, L, O, U), grouped. */
public final class Ids {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    /** What a user id chosen by an administrator may look like. */
    public static final Pattern USER_ID = Pattern.compile("[a-z][a-z0-9.\\-]{2,63}");
    /** What a record id ({@link #record()}) looks like. */
    public static final Pattern RECORD_ID = Pattern.compile("R(-[0-9A-Z]{5}){4}");

    private Ids() {
    }

    /** A new random id: prefix, then groups of five characters (25 bits each). */
    public static String random(String prefix, int groups) {
        return of(prefix, groups, Providers.randomBytes(groups * 5));
    }

    /** The id of that form made of {@code bytes} (at least five per group), e.g. a digest for an id derived from data. */
    public static String of(String prefix, int groups, byte[] r) {
        StringBuilder b = new StringBuilder(prefix);
        for (int g = 0; g < groups; g++) {
            b.append('-');
            for (int i = 0; i < 5; i++) {
                b.append(ALPHABET[r[g * 5 + i] & 31]);
            }
        }
        return b.toString();
    }

    /** A patient id such as {@code P-7K3MX-9QX2B}. */
    public static String patient() {
        return random("P", 2);
    }

    /** A record id such as {@code R-...}. */
    public static String record() {
        return random("R", 4);
    }

    /** A consent id. */
    public static String consent() {
        return random("C", 3);
    }

    /** Checks a staff user id chosen by an administrator. */
    public static String requireUserId(String id) {
        if (id == null || !USER_ID.matcher(id).matches()) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "a user id is 3 to 64 characters: a lower-case letter, then "
                    + "lower-case letters, digits, '.' or '-'");
        }
        return id;
    }
}

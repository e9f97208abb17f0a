package org.ehrledger.ejb.application.service;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/** Checks of caller input shared by the session beans; each failure says what is expected. */
public final class Inputs {

    /** Smallest password length. */
    public static final int MIN_PASSWORD = 12;

    private Inputs() {
    }

    /** A required text of at most {@code max} characters, trimmed. */
    public static String text(String field, String value, int max) {
        if (value == null || value.isBlank()) {
            throw new EhrException(ErrorCode.INVALID_INPUT, field + " is required");
        }
        String v = value.strip();
        if (v.length() > max) {
            throw new EhrException(ErrorCode.INVALID_INPUT, field + " is longer than " + max + " characters");
        }
        return v;
    }

    /** An optional text (empty if absent). */
    public static String optional(String field, String value, int max) {
        return value == null || value.isBlank() ? "" : text(field, value, max);
    }

    /** A password long enough to resist guessing. */
    public static char[] password(char[] password) {
        if (password == null || password.length < MIN_PASSWORD || password.length > 256) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "a password has " + MIN_PASSWORD + " to 256 characters");
        }
        return password;
    }

    /** A category by name. */
    public static Category category(String name) {
        try {
            return Category.valueOf(name == null ? "" : name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "unknown category '" + name + "'; one of "
                    + java.util.Arrays.toString(Category.values()));
        }
    }

    /** A role by name. */
    public static Role role(String name) {
        try {
            return Role.valueOf(name == null ? "" : name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "unknown role '" + name + "'; one of "
                    + java.util.Arrays.toString(Role.values()));
        }
    }
}

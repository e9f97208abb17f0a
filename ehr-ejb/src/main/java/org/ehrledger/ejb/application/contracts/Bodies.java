package org.ehrledger.ejb.application.contracts;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.tx.Fields;

/** The values of a transaction body every family of contracts reads alike, each refused with its reason. */
final class Bodies {

    private Bodies() {
    }

    /** Identifiers: 1 to 128 of letters, digits, '.', '_' and '-' (never ':' so no id can pose as "org:<id>"). */
    static String id(Fields b, String name) {
        return checkId(b.string(name), name);
    }

    static String checkId(String value, String what) {
        if (!value.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new Rejected(what + " must be 1 to 128 letters, digits, '.', '_' or '-'");
        }
        return value;
    }

    static Role role(String name) {
        try {
            return Role.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Rejected("unknown role " + name);
        }
    }

    static Category category(String name) {
        try {
            return Category.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Rejected("unknown category " + name);
        }
    }

    /** Wraps listed as {@code "<reader>:<base64>"}. */
    static Map<String, byte[]> readerWraps(List<String> entries) {
        Map<String, byte[]> out = new TreeMap<>();
        for (String e : entries) {
            int colon = e.lastIndexOf(':');
            if (colon < 1) {
                throw new Rejected("a key wrap is written <reader>:<base64>");
            }
            try {
                if (out.put(e.substring(0, colon), Base64.getDecoder().decode(e.substring(colon + 1))) != null) {
                    throw new Rejected("two key wraps for " + e.substring(0, colon));
                }
            } catch (IllegalArgumentException ex) {
                throw new Rejected("a key wrap is not base64");
            }
        }
        return out;
    }

    /** The optional list of wraps of a body ({@link #readerWraps}), empty when absent. */
    static Map<String, byte[]> optionalWraps(Fields b) {
        return readerWraps(b.has("wraps") ? b.strings("wraps") : List.of());
    }
}

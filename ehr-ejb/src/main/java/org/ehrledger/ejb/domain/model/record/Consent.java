package org.ehrledger.ejb.domain.model.record;

import java.util.Set;

/**
 * A patient's consent for a grantee (a user, or every user of an organisation as {@code org:<id>}) to
 * read and write the given categories until {@code expiresAt} (0: no expiry), unless revoked.
 */
public record Consent(String id, String patient, String grantee, Set<Category> categories, long expiresAt,
                      boolean revoked) {

    /** Prefix of organisation grantees. */
    public static final String ORGANISATION = "org:";

    /** Whether the consent covers a user of an organisation for a category at a time. */
    public boolean covers(String userId, String organisation, Category category, long at) {
        boolean whom = grantee.startsWith(ORGANISATION) ? grantee.equals(ORGANISATION + organisation)
                : grantee.equals(userId);
        return whom && categories.contains(category) && inForceAt(at);
    }

    /** Whether it is in force at a time: not revoked and not expired. */
    public boolean inForceAt(long at) {
        return !revoked && (expiresAt == 0 || at < expiresAt);
    }

    /** The same consent, revoked. */
    public Consent revoke() {
        return new Consent(id, patient, grantee, categories, expiresAt, true);
    }
}

package org.ehrledger.ejb.application.service;

/**
 * A new session.
 *
 * @param token        bearer token (shown once; send as {@code Authorization: Bearer <token>})
 * @param userId       who signed in
 * @param role         their role
 * @param organisation their organisation
 * @param displayName  their name
 * @param expiresAt    when the session ends if unused (epoch milliseconds)
 */
public record SignedIn(String token, String userId, String role, String organisation, String displayName,
                       long expiresAt) {
}

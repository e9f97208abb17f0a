package org.ehrledger.ejb.domain.model.registry;

/**
 * A registered user.
 *
 * @param id            stable user id
 * @param role          role
 * @param organisation  certifying organisation
 * @param signingKey    Ed25519 public key (X.509 SubjectPublicKeyInfo)
 * @param encryptionKey X25519 public key (X.509 SubjectPublicKeyInfo)
 * @param revoked       whether the certificate was revoked (every later transaction is rejected)
 */
public record User(String id, Role role, String organisation, byte[] signingKey, byte[] encryptionKey,
                   boolean revoked) {

    /** The same user with its certificate revoked. */
    public User revoke() {
        return new User(id, role, organisation, signingKey, encryptionKey, true);
    }
}

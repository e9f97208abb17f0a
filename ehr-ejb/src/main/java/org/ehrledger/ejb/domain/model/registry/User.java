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
 * @param registeredBy  the administrator who registered the account, or null (self-registered patients and
 *                      the first administrator registered with their organisation)
 * @param confirmedBy   the second administrator who confirmed an administrator's registration, or null
 * @param recovering    whether a recovery of this identity was approved and waits to be completed: the old
 *                      keys sign and read nothing from the approval on
 */
public record User(String id, Role role, String organisation, byte[] signingKey, byte[] encryptionKey,
                   boolean revoked, String registeredBy, String confirmedBy, boolean recovering) {

    /** A user nobody else registered (a self-registered patient, or an organisation's first administrator). */
    public User(String id, Role role, String organisation, byte[] signingKey, byte[] encryptionKey, boolean revoked) {
        this(id, role, organisation, signingKey, encryptionKey, revoked, null, null, false);
    }

    /** The same user with its certificate revoked. */
    public User revoke() {
        return new User(id, role, organisation, signingKey, encryptionKey, true, registeredBy, confirmedBy, recovering);
    }

    /** The same user with their registration confirmed by a second administrator. */
    public User confirm(String admin) {
        return new User(id, role, organisation, signingKey, encryptionKey, revoked, registeredBy, admin, recovering);
    }

    /** The same user whose old keys stop at once, waiting for the recovery to complete. */
    public User suspendForRecovery() {
        return new User(id, role, organisation, signingKey, encryptionKey, revoked, registeredBy, confirmedBy, true);
    }

    /** The same user with new keys (a rotation or a completed recovery). */
    public User withKeys(byte[] signing, byte[] encryption) {
        return new User(id, role, organisation, signing, encryption, revoked, registeredBy, confirmedBy, false);
    }

    /** Whether this user is {@code subject} or an administrator of the subject's organisation. */
    public boolean actsFor(User subject) {
        return id.equals(subject.id()) || (role == Role.ADMIN && organisation.equals(subject.organisation()));
    }

    /**
     * Whether an administrator registered this account and no second administrator confirmed it yet: such
     * an account cannot open break-glass access (the two-person rule).
     */
    public boolean awaitsConfirmation() {
        return registeredBy != null && confirmedBy == null;
    }
}

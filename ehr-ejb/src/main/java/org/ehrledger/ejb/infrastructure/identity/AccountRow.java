package org.ehrledger.ejb.infrastructure.identity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/**
 * A person who signs in at this replica: their ledger user id, role and organisation, and their private
 * keys sealed under their password ({@code PasswordProtection}: PBKDF2 and AES-GCM). The password itself
 * is never stored; opening the sealed keys is the password check. Local to the replica (not replicated).
 */
@Entity
@Table(name = "ACCOUNT")
public class AccountRow {

    @Id
    @Column(name = "USER_ID", length = 64)
    private String userId;

    @Column(name = "ROLE", length = 16, nullable = false)
    private String role;

    @Column(name = "ORGANISATION", length = 64, nullable = false)
    private String organisation;

    @Column(name = "DISPLAY_NAME", length = 200, nullable = false)
    private String displayName;

    @Lob
    @Column(name = "SEALED_KEYS", nullable = false)
    private byte[] sealedKeys;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    @Column(name = "SUSPENDED", nullable = false)
    private boolean suspended;

    @Column(name = "FAILED_LOGINS", nullable = false)
    private int failedLogins;

    @Column(name = "LOCKED_UNTIL", nullable = false)
    private long lockedUntil;

    /** For JPA. */
    protected AccountRow() {
    }

    public AccountRow(String userId, String role, String organisation, String displayName, byte[] sealedKeys,
                      long createdAt) {
        this.userId = userId;
        this.role = role;
        this.organisation = organisation;
        this.displayName = displayName;
        this.sealedKeys = sealedKeys;
        this.createdAt = createdAt;
    }

    public String userId() {
        return userId;
    }

    public String role() {
        return role;
    }

    public String organisation() {
        return organisation;
    }

    public String displayName() {
        return displayName;
    }

    public byte[] sealedKeys() {
        return sealedKeys.clone();
    }

    /** Replaces the sealed keys (enrolment, a password change). */
    void sealedKeys(byte[] sealed) {
        sealedKeys = sealed.clone();
    }

    public long createdAt() {
        return createdAt;
    }

    public boolean suspended() {
        return suspended;
    }

    public void suspended(boolean value) {
        suspended = value;
    }

    public int failedLogins() {
        return failedLogins;
    }

    public long lockedUntil() {
        return lockedUntil;
    }

    /** Records a failed sign-in; from the fifth in a row the account locks for a growing while. */
    public void loginFailed(long now) {
        failedLogins++;
        lockedUntil = Math.max(lockedUntil, lockUntil(failedLogins, now));
    }

    /**
     * Until when a user id is locked after {@code failures} failed sign-ins in a row, the last at {@code now}
     * (0: not locked): from the fifth, 30 s, doubling, at most 15 minutes.
     */
    public static long lockUntil(int failures, long now) {
        return failures < 5 ? 0 : now + Math.min(15L * 60_000, 30_000L << Math.min(10, failures - 5));
    }

    /** Records a successful sign-in. */
    public void loginSucceeded() {
        failedLogins = 0;
        lockedUntil = 0;
    }
}

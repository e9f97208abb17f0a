package org.ehrledger.ejb.infrastructure.identity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * An enrolment in progress: a person registered by someone else (an administrator, the registration desk,
 * the operator's bootstrap) who has not chosen their password yet. Holds the verifier of their one-time
 * code (never the code), when it expires, and how many codes were issued. The row goes once they enrol.
 * Local to the replica (not replicated), like the account.
 */
@Entity
@Table(name = "ENROLMENT")
public class EnrolmentRow {

    /** The verifier of a code being redeemed right now (so that a code is redeemed once, even in parallel). */
    static final String REDEEMING = "redeeming";

    @Id
    @Column(name = "USER_ID", length = 64)
    private String userId;

    /** {@link EnrolmentCode#verifier}, or {@link #REDEEMING}. */
    @Column(name = "CODE_VERIFIER", length = 64, nullable = false)
    private String codeVerifier;

    @Column(name = "EXPIRES_AT", nullable = false)
    private long expiresAt;

    @Column(name = "CODES_ISSUED", nullable = false)
    private int codesIssued;

    /** For JPA. */
    protected EnrolmentRow() {
    }

    public EnrolmentRow(String userId, String codeVerifier, long expiresAt) {
        this.userId = userId;
        this.codeVerifier = codeVerifier;
        this.expiresAt = expiresAt;
        this.codesIssued = 1;
    }

    public String userId() {
        return userId;
    }

    public String codeVerifier() {
        return codeVerifier;
    }

    public long expiresAt() {
        return expiresAt;
    }

    /** Whether the code has expired at {@code now} (it is valid until, not at, {@link #expiresAt}). */
    public boolean expired(long now) {
        return now >= expiresAt;
    }

    public int codesIssued() {
        return codesIssued;
    }

    /** Replaces the code by a new one (a re-issue). */
    void reissue(String verifier, long expires) {
        codeVerifier = verifier;
        expiresAt = expires;
        codesIssued++;
    }
}

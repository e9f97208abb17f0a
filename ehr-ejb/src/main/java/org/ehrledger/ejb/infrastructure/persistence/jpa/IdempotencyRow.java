package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/**
 * One idempotency key of one caller at this replica: the request it was first used for (its hash), and,
 * once answered, the answer, or only its status when the answer carried a secret (never stored). Local to
 * the replica, like the accounts.
 */
@Entity
@Table(name = "IDEMPOTENCY_KEY")
public class IdempotencyRow {

    /** A hash of the caller, then of the caller and the key ({@link IdempotencyStore#id}). */
    @Id
    @Column(name = "ID", length = 64)
    private String id;

    @Column(name = "REQUEST_HASH", length = 64, nullable = false)
    private String requestHash;

    /**
     * 0 while the first request is being processed; the answer's HTTP status once answered, negated when the
     * answer was withheld (it carried a secret; {@link #body} is then null).
     */
    @Column(name = "STATUS", nullable = false)
    private int status;

    @Lob
    @Column(name = "BODY")
    private String body;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    /** For JPA. */
    protected IdempotencyRow() {
    }

    IdempotencyRow(String id, String requestHash, long createdAt) {
        this.id = id;
        this.requestHash = requestHash;
        this.createdAt = createdAt;
    }

    public String requestHash() {
        return requestHash;
    }

    /** The answer's HTTP status; 0 while the first request is being processed. */
    public int status() {
        return Math.abs(status);
    }

    /** Whether the answer is kept to be replayed (false while running, and for answers with secrets). */
    public boolean replayable() {
        return status > 0;
    }

    public String body() {
        return body;
    }

    public long createdAt() {
        return createdAt;
    }

    void answer(int status, String body) {
        this.status = status;
        this.body = body;
    }

    void withheld(int status) {
        this.status = -status;
        this.body = null;
    }
}

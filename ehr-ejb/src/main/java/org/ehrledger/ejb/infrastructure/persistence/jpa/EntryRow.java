package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Index;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/** One transaction of a block with its verdict. */
@Entity
@Table(name = "LEDGER_ENTRY", indexes = @Index(name = "IX_LEDGER_ENTRY_HEIGHT", columnList = "HEIGHT, POSITION"))
@IdClass(EntryRow.Key.class)
public class EntryRow {

    /** Composite key: block height and position in the block. */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private Long height;
        private Integer position;

        /** For JPA. */
        public Key() {
        }

        Key(long height, int position) {
            this.height = height;
            this.position = position;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(k.height, height) && Objects.equals(k.position, position);
        }

        @Override
        public int hashCode() {
            return Objects.hash(height, position);
        }
    }

    /** Boxed: EclipseLink rejects primitive key parts of 0. */
    @Id
    @Column(name = "HEIGHT")
    private Long height;

    @Id
    @Column(name = "POSITION")
    private Integer position;

    @Lob
    @Column(name = "TX", nullable = false)
    private byte[] transaction;

    @Column(name = "REQUEST_DIGEST", nullable = false, length = 32)
    private byte[] requestDigest;

    @Column(name = "OPERATION_INDEX", nullable = false)
    private int operationIndex;

    @Column(name = "ACCEPTED", nullable = false)
    private boolean accepted;

    @Column(name = "REASON", nullable = false, length = 2000)
    private String reason;

    /** For JPA. */
    protected EntryRow() {
    }

    EntryRow(long height, int position, byte[] transaction, byte[] requestDigest, int operationIndex, boolean accepted,
             String reason) {
        this.height = height;
        this.position = position;
        this.transaction = transaction;
        this.requestDigest = requestDigest;
        this.operationIndex = operationIndex;
        this.accepted = accepted;
        this.reason = reason;
    }

    long height() {
        return height;
    }

    int position() {
        return position;
    }

    byte[] transaction() {
        return transaction;
    }

    byte[] requestDigest() {
        return requestDigest;
    }

    int operationIndex() {
        return operationIndex;
    }

    boolean accepted() {
        return accepted;
    }

    String reason() {
        return reason;
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/**
 * The state-commitment accumulator of one world-state table as of the last executed block (see
 * {@link org.ehrledger.ejb.domain.model.ledger.StateCommitment}): at start the table's rows must add up
 * to it, and all of them together to the head block's state digest.
 */
@Entity
@Table(name = "STATE_DIGEST")
public class StateDigestRow {

    @Id
    @Column(name = "TABLE_NAME", length = 64)
    private String table;

    @Lob
    @Column(name = "ACCUMULATOR", nullable = false)
    private byte[] accumulator;

    /** For JPA. */
    protected StateDigestRow() {
    }

    StateDigestRow(String table, byte[] accumulator) {
        this.table = table;
        this.accumulator = accumulator;
    }

    String table() {
        return table;
    }

    byte[] accumulator() {
        return accumulator;
    }

    void accumulator(byte[] a) {
        this.accumulator = a;
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** Named numbers of the ledger, such as the last executed consensus sequence number. */
@Entity
@Table(name = "LEDGER_META")
public class LedgerMetaRow {

    @Id
    @Column(name = "NAME", length = 64)
    private String name;

    @Column(name = "NUMBER_VALUE", nullable = false)
    private long value;

    /** For JPA. */
    protected LedgerMetaRow() {
    }

    LedgerMetaRow(String name, long value) {
        this.name = name;
        this.value = value;
    }

    long value() {
        return value;
    }

    void value(long v) {
        this.value = v;
    }
}

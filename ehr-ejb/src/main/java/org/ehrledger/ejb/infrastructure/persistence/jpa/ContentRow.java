package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/** The off-chain ciphertext of one clinical record (deleted when the record is crypto-shredded). */
@Entity
@Table(name = "RECORD_CONTENT")
public class ContentRow {

    @Id
    @Column(name = "RECORD_ID", length = 200)
    private String recordId;

    @Lob
    @Column(name = "CIPHERTEXT", nullable = false)
    private byte[] ciphertext;

    /** For JPA. */
    protected ContentRow() {
    }

    ContentRow(String recordId, byte[] ciphertext) {
        this.recordId = recordId;
        this.ciphertext = ciphertext;
    }

    String recordId() {
        return recordId;
    }

    byte[] ciphertext() {
        return ciphertext;
    }
}

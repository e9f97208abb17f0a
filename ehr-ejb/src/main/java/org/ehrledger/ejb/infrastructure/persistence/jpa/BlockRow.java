package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/** A block header with its request skeletons and certificate. */
@Entity
@Table(name = "LEDGER_BLOCK")
public class BlockRow {

    /** Boxed: EclipseLink rejects a primitive key of 0, and the genesis block has height 0. */
    @Id
    @Column(name = "HEIGHT")
    private Long height;

    @Column(name = "PREVIOUS_HASH", nullable = false, length = 32)
    private byte[] previousHash;

    @Column(name = "ENTRY_COUNT", nullable = false)
    private int entryCount;

    @Column(name = "ENTRIES_ROOT", nullable = false, length = 32)
    private byte[] entriesRoot;

    @Column(name = "STATE_DIGEST", nullable = false, length = 32)
    private byte[] stateDigest;

    @Column(name = "CONSENSUS_TIME", nullable = false)
    private long timestamp;

    @Column(name = "SEQUENCE_NO", nullable = false)
    private long sequence;

    @Column(name = "BATCH_DIGEST", nullable = false, length = 32)
    private byte[] batchDigest;

    @Column(name = "CERT_VIEW", nullable = false)
    private long view;

    @Lob
    @Column(name = "REQUESTS", nullable = false)
    private byte[] requests;

    @Lob
    @Column(name = "CERTIFICATE", nullable = false)
    private byte[] certificate;

    /** For JPA. */
    protected BlockRow() {
    }

    BlockRow(long height, byte[] previousHash, int entryCount, byte[] entriesRoot, byte[] stateDigest, long timestamp,
             long sequence, byte[] batchDigest, long view, byte[] requests, byte[] certificate) {
        this.height = height;
        this.previousHash = previousHash;
        this.entryCount = entryCount;
        this.entriesRoot = entriesRoot;
        this.stateDigest = stateDigest;
        this.timestamp = timestamp;
        this.sequence = sequence;
        this.batchDigest = batchDigest;
        this.view = view;
        this.requests = requests;
        this.certificate = certificate;
    }

    long height() {
        return height;
    }

    byte[] previousHash() {
        return previousHash;
    }

    int entryCount() {
        return entryCount;
    }

    byte[] entriesRoot() {
        return entriesRoot;
    }

    byte[] stateDigest() {
        return stateDigest;
    }

    long timestamp() {
        return timestamp;
    }

    long sequence() {
        return sequence;
    }

    byte[] batchDigest() {
        return batchDigest;
    }

    long view() {
        return view;
    }

    byte[] requests() {
        return requests;
    }

    byte[] certificate() {
        return certificate;
    }
}

package org.ehrledger.ejb.domain.model.record;

import org.ehrledger.consensus.codec.Digest;

/**
 * A clinical record's on-chain facts. The ciphertext itself is stored off-chain by every replica.
 *
 * @param id          record id
 * @param patient     patient the record belongs to
 * @param category    category (consent scope)
 * @param author      user who wrote it
 * @param contentHash SHA-256 of the ciphertext
 * @param size        ciphertext size in bytes
 * @param createdAt   consensus time of the transaction
 * @param erased      whether it was crypto-shredded (keys and ciphertext destroyed, hash kept)
 */
public record ClinicalRecord(String id, String patient, Category category, String author, Digest contentHash,
                             long size, long createdAt, boolean erased) {

    /** Largest off-chain ciphertext a record may reference. */
    public static final long MAX_BYTES = 64L << 20;

    /** The same record, crypto-shredded. */
    public ClinicalRecord erase() {
        return new ClinicalRecord(id, patient, category, author, contentHash, size, createdAt, true);
    }
}

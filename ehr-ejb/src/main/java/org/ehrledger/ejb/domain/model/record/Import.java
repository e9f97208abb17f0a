package org.ehrledger.ejb.domain.model.record;

/**
 * A whole-history import of one patient's records: records staged under its id by several ordered
 * transactions, invisible to every read until one final transaction publishes them all at once, or
 * discarded (aborted, or expired {@link #EXPIRY_MILLIS} after its last staging, by consensus time).
 *
 * @param id           import id (derived by the sender from the patient, the author and the bundle's hash)
 * @param patient      whose records
 * @param author       who stages and publishes them
 * @param bundleHash   hex SHA-256 of the bundle the records come from (what makes a re-sent bundle recognisable)
 * @param declared     how many records the import will stage
 * @param staged       how many it staged so far
 * @param bytes        ciphertext bytes staged so far
 * @param startedAt    consensus time of its beginning
 * @param lastActivity consensus time of its beginning or last staged record
 * @param publishedAt  consensus time of its publication, 0 while open
 */
public record Import(String id, String patient, String author, String bundleHash, long declared, long staged, long bytes,
                     long startedAt, long lastActivity, long publishedAt) {

    /** Most records of one import (a hospital's whole history of one patient). */
    public static final int MAX_RECORDS = 20_000;
    /** Most ciphertext bytes of one import. */
    public static final long MAX_BYTES = 256L << 20;
    /** Open imports of one author at a time. */
    public static final int MAX_OPEN_PER_AUTHOR = 2;
    /** Open imports on the network at a time (so at most 8 x 20,000 staged rows per replica). */
    public static final int MAX_OPEN = 8;
    /** An open import with nothing staged for this long (consensus time) is discarded. */
    public static final long EXPIRY_MILLIS = 30 * 60_000L;
    /** Index value of an open import. */
    public static final String OPEN = "OPEN";
    /** Index value of a published import. */
    public static final String PUBLISHED = "PUBLISHED";

    /** Whether its records were published. */
    public boolean published() {
        return publishedAt != 0;
    }

    /** Whether it is open and past its expiry at consensus time {@code now}. */
    public boolean expired(long now) {
        return !published() && now - lastActivity > EXPIRY_MILLIS;
    }

    /** {@link #OPEN} or {@link #PUBLISHED}. */
    public String status() {
        return published() ? PUBLISHED : OPEN;
    }

    /** The import with one more record of {@code size} bytes staged at {@code now}. */
    public Import staged(long size, long now) {
        return new Import(id, patient, author, bundleHash, declared, staged + 1, bytes + size, startedAt, now, 0);
    }

    /** The import published at {@code now}. */
    public Import publish(long now) {
        return new Import(id, patient, author, bundleHash, declared, staged, bytes, startedAt, lastActivity, now);
    }
}

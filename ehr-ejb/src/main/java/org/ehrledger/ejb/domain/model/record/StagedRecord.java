package org.ehrledger.ejb.domain.model.record;

import java.util.SortedMap;

/**
 * A record staged by an {@link Import}: its on-chain facts and key wraps, kept apart from the records until
 * the import is published (no read, search, export, access check or billing sees it).
 *
 * @param importId the import
 * @param sequence its place among the import's staged records (0, 1, ...)
 * @param record   the record as it will be published (its creation time is the publication's)
 * @param wraps    reader to wrapped data key, in reader order
 */
public record StagedRecord(String importId, long sequence, ClinicalRecord record, SortedMap<String, byte[]> wraps) {
}

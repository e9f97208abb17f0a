package org.ehrledger.consensus.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;

import org.junit.jupiter.api.Test;

/** What a replica that stopped after an error tells its operator ({@code GET /api/v1/cluster}, its log). */
class FailuresTest {

    /** The shape of the error that stopped four replicas on PostgreSQL when their shared disk filled (2026-12-05). */
    @Test
    void aFullDiskUnderAJdbcBatchIsNamedInOneLineWithoutTheBatchsRecordIdsOrCiphertexts() {
        String ciphertext = "\\x1623f504d509e83fed4dc5ce4941854991dc99c58a563d39f007ff1706d69758".repeat(40);
        String batch = "Batch entry 52 INSERT INTO RECORD_CONTENT (RECORD_ID, CIPHERTEXT) VALUES (('R-4JDH7-WNJ38-NJ1V4-ADX8Y'), '"
                + ciphertext + "'::bytea) was aborted: ERROR: could not extend file \"base/16387/16697.1\": No space left on"
                + " device\n  Hint: Check free disk space.  Call getNextException to see other errors in the batch.";
        BatchUpdateException driver = new BatchUpdateException(batch, "53100", 0, new int[0]);
        driver.setNextException(new SQLException("ERROR: could not extend file \"base/16387/16697.1\": No space left on device\n"
                + "  Hint: Check free disk space.", "53100"));
        RuntimeException jpa = new RuntimeException("Exception [EclipseLink-4002] (Eclipse Persistence Services - 4.0.7):"
                + " org.eclipse.persistence.exceptions.DatabaseException\nInternal Exception: java.sql.BatchUpdateException: "
                + batch + "\nError Code: 0\nCall: INSERT INTO RECORD_CONTENT (RECORD_ID, CIPHERTEXT) VALUES (?, ?)", driver);
        RuntimeException jta = new RuntimeException("Managed bean with Transactional annotation encountered exception during commit", jpa);

        String described = Failures.describe(jta);

        assertEquals(Failures.DISK_FULL + " (SQLException: ERROR: could not extend file \"base/16387/16697.1\": No space left"
                + " on device)", described);
        assertFalse(described.contains("R-4JDH7"), "no record id");
        assertFalse(described.contains("1623f504"), "no ciphertext");
    }

    @Test
    void aFullDiskUnderTheLogOrAnEmbeddedDatabaseIsNamedToo() {
        String described = Failures.describe(new UncheckedIOException(new IOException("No space left on device")));
        assertTrue(described.startsWith(Failures.DISK_FULL), described);
        assertTrue(described.contains("IOException: No space left on device"), described);
    }

    @Test
    void anyOtherErrorKeepsItsDeepestMessageFirstLineCut() {
        assertEquals("IOException: fsync failed: I/O error",
                Failures.describe(new UncheckedIOException(new IOException("fsync failed: I/O error\nsecond line"))));
        assertEquals("IllegalStateException: replaying block 7 reached another verdict than recorded",
                Failures.describe(new IllegalStateException("replaying block 7 reached another verdict than recorded")));
        assertEquals("NullPointerException", Failures.describe(new NullPointerException()));
        String long_ = Failures.describe(new IllegalStateException("x".repeat(5_000)));
        assertEquals("IllegalStateException: ".length() + Failures.MAX + 3, long_.length());
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.persistence.EntityManager;

import org.ehrledger.ejb.testing.DerbyDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a few blocks' entries from a long ledger, on a real (embedded Derby) database: the rows the database
 * visits are those blocks' entries, not the whole ledger's (a peer's catch-up, the head at start and the background
 * check read entries by a range of heights, and the primary key is ordered (POSITION, HEIGHT)).
 */
class EntriesByHeightTest {

    private static final int BLOCKS = 3_000;
    private static final int PER_BLOCK = 4;

    @TempDir
    Path dir;

    @Test
    void aRangeOfHeightsVisitsOnlyItsOwnEntries() throws Exception {
        DerbyDatabase db = new DerbyDatabase(dir);
        db.open();
        try {
            EntityManager em = db.em();
            db.transactional(() -> insertEntries(em.unwrap(Connection.class)));

            em.getTransaction().begin();
            Connection c = em.unwrap(Connection.class);
            try (Statement s = c.createStatement()) {
                s.execute("CALL SYSCS_UTIL.SYSCS_SET_RUNTIMESTATISTICS(1)");
            }
            List<EntryRow> rows = JpaLedgerStore.entries(em, 1_500, 1_502);
            String plan;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("VALUES SYSCS_UTIL.SYSCS_GET_RUNTIMESTATISTICS()")) {
                assertTrue(rs.next());
                plan = rs.getString(1);
            }
            em.getTransaction().rollback();

            assertEquals(3 * PER_BLOCK, rows.size(), "the entries of heights 1,500-1,502");
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(1_500 + i / PER_BLOCK, rows.get(i).height(), "in order of height");
                assertEquals(i % PER_BLOCK, rows.get(i).position(), "then of position");
            }
            Matcher visited = Pattern.compile("Number of rows visited=(\\d+)").matcher(plan);
            long most = 0;
            while (visited.find()) {
                most = Math.max(most, Long.parseLong(visited.group(1)));
            }
            assertTrue(plan.contains("IX_LEDGER_ENTRY_HEIGHT"), "read through the index by height:\n" + plan);
            assertTrue(most > 0 && most <= 4 * PER_BLOCK, most + " rows visited for " + rows.size() + " entries of "
                    + BLOCKS * PER_BLOCK + ":\n" + plan);
        } finally {
            db.close();
        }
    }

    /** {@value #BLOCKS} blocks of {@value #PER_BLOCK} entries, written with JDBC (only the entries are read here). */
    private static void insertEntries(Connection c) {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO LEDGER_ENTRY (POSITION, HEIGHT, ACCEPTED,"
                + " OPERATION_INDEX, REASON, REQUEST_DIGEST, TX) VALUES (?, ?, 1, 0, '', ?, ?)")) {
            for (long h = 1; h <= BLOCKS; h++) {
                for (int p = 0; p < PER_BLOCK; p++) {
                    insert.setInt(1, p);
                    insert.setLong(2, h);
                    insert.setBytes(3, new byte[32]);
                    insert.setBytes(4, ("tx " + h + "/" + p).getBytes(StandardCharsets.UTF_8));
                    insert.addBatch();
                }
                if (h % 500 == 0) {
                    insert.executeBatch();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

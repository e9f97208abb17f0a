package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups by many keys on a real (embedded Derby) database. */
class ByKeysTest {

    private static final String JPQL = "SELECT c FROM ContentRow c WHERE c.recordId IN :keys";

    @TempDir
    Path dir;

    @Test
    void everyListSizeFindsExactlyTheStoredKeysAndTheDatabaseCompilesAtMostEightStatementsForIt() throws Exception {
        String base = "jdbc:derby:directory:" + dir.resolve("db").toAbsolutePath();
        String url = base + ";create=true";
        EntityManagerFactory emf = TestDatabase.migrated(url);
        try {
            EntityManager em = emf.createEntityManager();
            em.getTransaction().begin();
            for (int i = 0; i < 300; i += 2) { // even keys stored, odd ones not
                em.persist(new ContentRow(key(i), ("note " + key(i)).getBytes(StandardCharsets.UTF_8)));
            }
            em.getTransaction().commit();
            em.clear();

            for (int size = 1; size <= 300; size++) {
                List<String> asked = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    asked.add(key((i * 7 + size) % 300));
                }
                Set<String> expected = asked.stream().filter(k -> Integer.parseInt(k.substring(4)) % 2 == 0)
                        .collect(Collectors.toCollection(TreeSet::new));
                List<ContentRow> found = ByKeys.find(em, JPQL, ContentRow.class, asked);
                assertEquals(expected.size(), found.size(), size + " keys asked: each stored row found once");
                assertEquals(expected, found.stream().map(ContentRow::recordId).collect(Collectors.toCollection(TreeSet::new)),
                        size + " keys asked");
                for (ContentRow row : found) {
                    assertEquals("note " + row.recordId(), new String(row.ciphertext(), StandardCharsets.UTF_8));
                }
            }
            em.close();

            // Derby's statement cache holds every statement it compiled (and still caches): one per IN-list length.
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT SQL_TEXT FROM SYSCS_DIAG.STATEMENT_CACHE")) {
                int texts = 0;
                while (rs.next()) {
                    if (rs.getString(1).contains("RECORD_CONTENT") && rs.getString(1).contains(" IN ")) {
                        texts++;
                    }
                }
                assertTrue(texts >= 1 && texts <= 8, texts + " statements compiled for 300 different numbers of keys");
            }
        } finally {
            emf.close();
            try {
                DriverManager.getConnection(base + ";shutdown=true").close();
            } catch (SQLException expected) {
                // Derby reports a database shut down as an exception (08006)
            }
        }
    }

    @Test
    void aListIsPaddedWithItsLastKeyToAPowerOfTwo() {
        assertEquals(List.of("a"), ByKeys.padded(List.of("a")));
        assertEquals(List.of("a", "b"), ByKeys.padded(List.of("a", "b")));
        assertEquals(List.of("a", "b", "c", "c"), ByKeys.padded(List.of("a", "b", "c")));
        assertEquals(128, ByKeys.padded(new ArrayList<>(java.util.Collections.nCopies(65, "k"))).size());
        assertEquals(128, ByKeys.padded(new ArrayList<>(java.util.Collections.nCopies(128, "k"))).size());
    }

    private static String key(int i) {
        return String.format("rec-%03d", i);
    }
}

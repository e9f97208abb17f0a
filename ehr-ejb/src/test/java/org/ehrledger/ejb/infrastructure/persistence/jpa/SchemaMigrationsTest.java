package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Consumer;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.metamodel.EntityType;

import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentRow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The versioned migrations on embedded Derby: an empty database gets exactly the schema EclipseLink generated
 * before migrations existed, and a replica database created that way (rows included) is adopted at its first
 * start on this version, unchanged, and then migrated like any other.
 */
class SchemaMigrationsTest {

    /** Changesets of version 1 (one per table), the schema of the releases before migrations. */
    static final int V1_CHANGESETS = 7;

    /**
     * Changesets of the changelog today: version 2 adds one per world-state table, version 3 one per world-state
     * index (each ends with its table's sort column and the row key), version 4 the imports' two tables, version 5
     * the records' category column filled from their bodies and its index, version 7 the entries' index by height.
     */
    static final int CHANGESETS = V1_CHANGESETS + 15 + 14 + 2 + 2 + 1;
    /** Changesets that run on PostgreSQL only: version 6, the state tables' keys in code point order (COLLATE "C"). */
    static final int POSTGRESQL_CHANGESETS = CHANGESETS + 1;

    @TempDir
    Path dir;

    private final List<String> databases = new ArrayList<>();

    private String url(String name) {
        String base = "jdbc:derby:directory:" + dir.resolve(name).toAbsolutePath();
        databases.add(base);
        return base + ";create=true";
    }

    @AfterEach
    void shutdown() {
        for (String base : databases) {
            try {
                DriverManager.getConnection(base + ";shutdown=true");
            } catch (SQLException expected) {
                // Derby reports a successful shutdown as an exception
            }
        }
    }

    @Test
    void anEmptyDatabaseGetsTheSchemaEclipseLinkGeneratedBeforeMigrations() throws Exception {
        String migrated = url("migrated");
        SchemaMigrations.Outcome outcome = TestDatabase.migrate(migrated);
        assertEquals(new SchemaMigrations.Outcome(CHANGESETS, 0, CHANGESETS), outcome);

        String generated = url("generated");
        EntityManagerFactory legacy = TestDatabase.generatedByEclipseLink(generated);
        legacy.createEntityManager().close();
        legacy.close();

        String expected = schema(generated);
        assertTrue(expected.contains("LEDGER_BLOCK.BATCH_DIGEST BLOB(32) NOT NULL"), expected);
        assertEquals(expected, schema(migrated));
    }

    @Test
    void aDatabaseOfAReleaseBeforeMigrationsIsAdoptedWithItsRowsAndMigratesOnlyOnce() throws Exception {
        String url = url("replica");
        EntityManagerFactory legacy = TestDatabase.releaseBeforeMigrations(url);
        inTransaction(legacy, em -> versionOneEntities().forEach(em::persist));
        legacy.close();

        assertEquals(new SchemaMigrations.Outcome(CHANGESETS - V1_CHANGESETS, V1_CHANGESETS, CHANGESETS), TestDatabase.migrate(url),
                "version 1 adopted as it is, version 2's tables created");
        assertEquals(new SchemaMigrations.Outcome(0, 0, CHANGESETS), TestDatabase.migrate(url), "a second start changes nothing");

        EntityManagerFactory emf = TestDatabase.migrated(url);
        try {
            EntityManager em = emf.createEntityManager();
            BlockRow block = em.find(BlockRow.class, 7L);
            assertArrayEquals(bytes(32, 3), block.stateDigest());
            assertEquals("dr-a", em.find(AccountRow.class, "dr-a").userId());
            assertEquals(1, em.find(LedgerMetaRow.class, "LAST_EXECUTED").value());
            em.close();
        } finally {
            emf.close();
        }
    }

    @Test
    void everyEntityIsWrittenAndReadBackOnTheMigratedSchema() {
        EntityManagerFactory emf = TestDatabase.migrated(url("fresh"));
        try {
            assertEveryEntityRoundTrips(emf);
        } finally {
            emf.close();
        }
    }

    /** Writes one row of each entity, then reads every entity back through JPA. */
    static void assertEveryEntityRoundTrips(EntityManagerFactory emf) {
        inTransaction(emf, em -> everyEntity().forEach(em::persist));
        EntityManager em = emf.createEntityManager();
        for (EntityType<?> entity : emf.getMetamodel().getEntities()) {
            // Selects every mapped column of every table: a missing or mistyped column fails here.
            List<?> rows = em.createQuery("SELECT e FROM " + entity.getName() + " e", entity.getJavaType()).getResultList();
            assertEquals(1, rows.size(), entity.getName());
        }
        assertEquals(7 + 15 + 2, emf.getMetamodel().getEntities().size());
        EntryRow entry = em.find(EntryRow.class, new EntryRow.Key(7, 0));
        assertTrue(entry.accepted());
        assertEquals("x".repeat(2000), entry.reason());
        assertArrayEquals(bytes(100_000, 5), em.find(BlockRow.class, 7L).requests());
        assertTrue(em.find(AccountRow.class, "dr-a").sealedKeys().length == 3000 && !em.find(AccountRow.class, "dr-a").suspended());
        assertEquals("{\"answer\":\"" + "y".repeat(40_000) + "\"}", em.find(IdempotencyRow.class, "k").body());
        em.close();
    }

    /** One row of each table, with the largest values the mappings allow where that matters. */
    static List<Object> everyEntity() {
        List<Object> all = new ArrayList<>(versionOneEntities());
        StateStore.Row row = new StateStore.Row("k".repeat(300), bytes(100_000, 11), bytes(32, 12), "a".repeat(300),
                "b".repeat(300), "c".repeat(300), Long.MAX_VALUE);
        for (StateRowEntity state : List.of(new StateOrganisationRow(), new StateUserRow(), new StateRecordRow(),
                new StateKeyWrapRow(), new StateConsentRow(), new StateBreakGlassRow(), new StateAccessEventRow(),
                new StateBilledRow(), new StateSeenTransactionRow(), new StateEmergencyVoteRow(), new StateEmergencyRow(),
                new StateAdmissionVoteRow(), new StateRecoveryRow(), new StateRecoveredRow(), new StateImportRow(),
                new StateStagedRecordRow())) {
            all.add(state.set(row));
        }
        all.add(new StateDigestRow("STATE_USER", bytes(2048, 13)));
        return all;
    }

    /** One row of each table of version 1. */
    static List<Object> versionOneEntities() {
        IdempotencyRow idempotency = new IdempotencyRow("k", "h".repeat(64), 1L);
        idempotency.answer(200, "{\"answer\":\"" + "y".repeat(40_000) + "\"}");
        return List.of(
                new BlockRow(7, bytes(32, 1), 1, bytes(32, 2), bytes(32, 3), 1L, 2L, bytes(32, 4), 0L,
                        bytes(100_000, 5), bytes(1000, 6)),
                new EntryRow(7, 0, bytes(5000, 7), bytes(32, 8), 0, true, "x".repeat(2000)),
                new ContentRow("r".repeat(200), bytes(70_000, 9)),
                new LedgerMetaRow("LAST_EXECUTED", 1),
                new AccountRow("dr-a", "PRACTITIONER", "st-mary", "Dr A", bytes(3000, 10), 1L),
                new EnrolmentRow("dr-b", "v".repeat(64), 2L),
                idempotency);
    }

    static void inTransaction(EntityManagerFactory emf, Consumer<EntityManager> work) {
        EntityManager em = emf.createEntityManager();
        em.getTransaction().begin();
        work.accept(em);
        em.getTransaction().commit();
        em.close();
    }

    static byte[] bytes(int length, int fill) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    /**
     * The application's tables as the database describes them: per column its type, size, nullability and default,
     * per table its primary key and indexes (Liquibase's own tables left out). Constraint and index names are the
     * database's own choice and left out too.
     */
    static String schema(String url) throws SQLException {
        return schema(url, new java.util.Properties());
    }

    static String schema(String url, java.util.Properties login) throws SQLException {
        TreeMap<String, String> lines = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(url, login)) {
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet t = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (t.next()) {
                    String schema = t.getString("TABLE_SCHEM");
                    String table = t.getString("TABLE_NAME");
                    if (table.toUpperCase(Locale.ROOT).startsWith("DATABASECHANGELOG")) {
                        continue;
                    }
                    try (ResultSet col = meta.getColumns(null, schema, table, "%")) {
                        while (col.next()) {
                            String def = col.getString("COLUMN_DEF");
                            lines.put(table + "." + col.getString("COLUMN_NAME"), table + "." + col.getString("COLUMN_NAME")
                                    + " " + col.getString("TYPE_NAME") + "(" + col.getInt("COLUMN_SIZE") + ")"
                                    + (col.getInt("NULLABLE") == DatabaseMetaData.columnNoNulls ? " NOT NULL" : "")
                                    + (def == null ? "" : " DEFAULT " + def.trim()));
                        }
                    }
                    StringBuilder key = new StringBuilder(table + " PRIMARY KEY");
                    try (ResultSet pk = meta.getPrimaryKeys(null, schema, table)) {
                        TreeMap<Integer, String> columns = new TreeMap<>();
                        while (pk.next()) {
                            columns.put(pk.getInt("KEY_SEQ"), pk.getString("COLUMN_NAME"));
                        }
                        key.append(columns.values());
                    }
                    lines.put(table + " ~pk", key.toString());
                    try (ResultSet ix = meta.getIndexInfo(null, schema, table, false, false)) {
                        while (ix.next()) {
                            lines.merge(table + " ~ix " + ix.getString("INDEX_NAME"), table + " INDEX "
                                    + (ix.getBoolean("NON_UNIQUE") ? "" : "UNIQUE ") + ix.getString("COLUMN_NAME"), (a, b) -> a + "," + b.substring(b.lastIndexOf(' ') + 1));
                        }
                    }
                }
            }
        }
        // index names differ between two databases: the indexes' shapes are compared, sorted
        return String.join("\n", lines.values().stream().sorted().toList());
    }
}

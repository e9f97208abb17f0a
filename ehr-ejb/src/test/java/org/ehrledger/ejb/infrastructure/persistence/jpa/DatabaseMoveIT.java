package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.ejb.application.contracts.SmallNetworkHistory;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.application.ledger.LedgerApplication;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.EnrolmentRow;
import org.ehrledger.ejb.testing.Certified;
import org.ehrledger.ejb.testing.DerbyDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving a replica's embedded Derby database, as this version creates it, to a real PostgreSQL server (the one
 * {@code ci/cluster.sh database} creates): every row arrives equal, the ledger opens there at the same head with
 * the same state digest, and a target that already holds a ledger is refused and left as it was.
 */
class DatabaseMoveIT {

    /** cluster.sh puts the network's server at the JGroups base + 50: 19450, a port no other test uses. */
    private static final PostgresqlServer SERVER = new PostgresqlServer("pg-move", 19400);

    @TempDir
    Path dir;

    @BeforeAll
    static void server() throws Exception {
        SERVER.start();
    }

    @AfterAll
    static void stop() throws Exception {
        SERVER.stop();
    }

    private static DatabaseMove.Endpoint postgresql(int n) {
        return new DatabaseMove.Endpoint(SERVER.url(n), "ehr" + n, SERVER.passwordFile(n));
    }

    private static Properties login(int n) throws IOException {
        return SERVER.login(n);
    }

    private DatabaseMove.Endpoint derby(String name) {
        return new DatabaseMove.Endpoint("jdbc:derby:directory:" + dir.resolve(name).resolve("ehrdb").toAbsolutePath(), null, null);
    }

    private static void shutdown(DatabaseMove.Endpoint derby) {
        try {
            DriverManager.getConnection(derby.url() + ";shutdown=true");
        } catch (SQLException expected) {
            // Derby reports a successful shutdown as an exception
        }
    }

    @Test
    void everyRowOfEveryTableArrivesEqualWithBooleansBytesAndTextConverted() throws Exception {
        DerbyDatabase replica = new DerbyDatabase(dir.resolve("every-entity"));
        replica.open();
        replica.transactional(() -> SchemaMigrationsTest.everyEntity().forEach(replica.em()::persist));
        replica.close();
        DatabaseMove.Endpoint from = derby("every-entity");
        TreeMap<String, List<String>> before = rows(from, new Properties());
        shutdown(from);

        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        DatabaseMove.Outcome outcome = new DatabaseMove(new PrintStream(lines, true, StandardCharsets.UTF_8)).move(from, postgresql(1));
        shutdown(from);

        int tables = SchemaMigrationsTest.everyEntity().size(); // one row of every entity, one table each
        assertTrue(tables >= 24, "every table of the schema, the imports' two included: " + tables);
        assertEquals(tables, outcome.tables());
        assertEquals(tables, outcome.rows());
        assertTrue(lines.toString(StandardCharsets.UTF_8).contains("ledger_block rows=1"), lines.toString(StandardCharsets.UTF_8));
        assertEquals(tables, before.size());
        assertEquals(before, rows(postgresql(1), login(1)));
        assertEquals(before, rows(from, new Properties()), "the source is as it was");
        shutdown(from);
    }

    @Test
    void aMovedLedgerOpensOnPostgresqlAtTheSameHeadAndARepeatedMoveIsRefusedChangingNothing() throws Exception {
        DerbyDatabase replica = new DerbyDatabase(dir.resolve("ledger"));
        replica.open();
        LedgerApplication onDerby = new LedgerApplication(SmallNetworkHistory.T0,
                new JpaLedgerStore(replica.em(), replica::transactional), new JpaStateStore(replica.em(), replica::transactional), true);
        for (OrderedBatch batch : SmallNetworkHistory.of(new Certified())) {
            onDerby.execute(batch);
        }
        BlockHeader head = onDerby.head().header();
        // the replica's own rows: a local account (sealed keys), an enrolment, a stored idempotent answer
        replica.transactional(() -> SchemaMigrationsTest.versionOneEntities().stream()
                .filter(e -> e instanceof AccountRow || e instanceof EnrolmentRow || e instanceof IdempotencyRow)
                .forEach(replica.em()::persist));
        replica.close();
        DatabaseMove.Endpoint from = derby("ledger");

        new DatabaseMove(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).move(from, postgresql(2));
        shutdown(from);

        TreeMap<String, List<String>> moved = rows(postgresql(2), login(2));
        assertEquals(rows(from, new Properties()), moved);
        shutdown(from);
        assertEquals(head.height() + 1, moved.get("LEDGER_BLOCK").size(), "every block from genesis to the head");

        EntityManagerFactory emf = TestDatabase.migrated(postgresql(2).url(), login(2));
        try {
            EntityManager em = emf.createEntityManager();
            Consumer<Runnable> tx = work -> TestDatabase.inTransaction(em, work);
            LedgerApplication onPostgresql = new LedgerApplication(SmallNetworkHistory.T0, new JpaLedgerStore(em, tx),
                    new JpaStateStore(em, tx), true);
            assertEquals(head, onPostgresql.head().header());
            WorldState state = new WorldState(JpaStateStore.reader(em)); // as the runtime's queries read it
            assertEquals(head.stateDigest(), state.digest());
            assertEquals(2, state.accessLog("pat-alice").size());
            assertTrue(state.record("r-2").erased());
            assertEquals("dr-a", em.find(AccountRow.class, "dr-a").userId());
            em.close();
        } finally {
            emf.close();
        }
        // The background check reads the state tables in key order as Java orders keys: code point order,
        // whatever collation the database was created with.
        try (Connection c = DriverManager.getConnection(postgresql(2).url(), login(2));
             java.sql.ResultSet r = c.createStatement().executeQuery("SELECT table_name, collation_name FROM "
                     + "information_schema.columns WHERE column_name = 'row_key' AND table_name LIKE 'state\\_%'")) {
            int tables = 0;
            while (r.next()) {
                assertEquals("C", r.getString(2), r.getString(1) + "'s keys");
                tables++;
            }
            assertEquals(org.ehrledger.ejb.application.contracts.StateTable.values().length, tables);
        }

        DatabaseMove.TargetNotEmptyException refused = assertThrows(DatabaseMove.TargetNotEmptyException.class,
                () -> new DatabaseMove(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                        .move(from, postgresql(2)));
        shutdown(from);
        assertTrue(refused.getMessage().contains("already holds data"), refused.getMessage());
        assertEquals(moved, rows(postgresql(2), login(2)), "the refused move changed nothing");
    }

    /**
     * Every application table's rows, sorted, each as its values in column order: bytes as their length and SHA-256,
     * booleans and Derby's SMALLINT booleans as 0/1, text and CLOBs as text, numbers as numbers.
     */
    private static TreeMap<String, List<String>> rows(DatabaseMove.Endpoint endpoint, Properties login) throws Exception {
        TreeMap<String, List<String>> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(endpoint.url(), login)) {
            List<String> tables = new ArrayList<>();
            try (ResultSet t = c.getMetaData().getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
                while (t.next()) {
                    tables.add(t.getString("TABLE_NAME"));
                }
            }
            for (String table : tables) {
                String key = table.toUpperCase(Locale.ROOT);
                if (key.startsWith("DATABASECHANGELOG")) {
                    continue;
                }
                List<String> rows = new ArrayList<>();
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData meta = r.getMetaData();
                    List<Integer> order = new ArrayList<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        order.add(i);
                    }
                    order.sort(Comparator.comparing(i -> name(meta, i)));
                    while (r.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i : order) {
                            row.append(name(meta, i)).append('=').append(value(r, i, meta.getColumnType(i))).append(' ');
                        }
                        rows.add(row.toString());
                    }
                }
                rows.sort(null);
                out.put(key, rows);
            }
        }
        return out;
    }

    private static String name(ResultSetMetaData meta, int i) {
        try {
            return meta.getColumnName(i).toUpperCase(Locale.ROOT);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String value(ResultSet r, int i, int type) throws Exception {
        switch (type) {
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
                byte[] b = r.getBytes(i);
                return b == null ? "null" : b.length + ":" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            }
            case Types.BOOLEAN, Types.BIT -> {
                boolean b = r.getBoolean(i);
                return r.wasNull() ? "null" : b ? "1" : "0";
            }
            case Types.CLOB, Types.VARCHAR, Types.CHAR, Types.LONGVARCHAR -> {
                return String.valueOf(r.getString(i));
            }
            default -> {
                Object o = r.getObject(i);
                return String.valueOf(o);
            }
        }
    }
}

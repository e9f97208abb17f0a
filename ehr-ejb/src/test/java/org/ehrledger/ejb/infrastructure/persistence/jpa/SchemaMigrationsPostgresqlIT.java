package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;

import jakarta.persistence.EntityManagerFactory;

import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The versioned migrations on a real PostgreSQL server, the one {@code ci/cluster.sh database} creates for a
 * network (installed from Debian's packages if missing): the migrated schema is the one EclipseLink generates on
 * PostgreSQL (but for a default on boolean columns), every entity round-trips on it, and a second start changes
 * nothing.
 */
class SchemaMigrationsPostgresqlIT {

    /** cluster.sh puts the network's server at the JGroups base + 50: 19150, a port no other test uses. */
    private static final int JGROUPS_BASE = 19100;
    private static final Path ROOT = Path.of(System.getProperty("it.root", "..")).toAbsolutePath().normalize();
    private static final Path HOME = Path.of("target", "pg-migrations").toAbsolutePath();

    @BeforeAll
    static void server() throws Exception {
        if (Files.exists(HOME)) {
            cluster("down");
            try (var files = Files.walk(HOME)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        cluster("database");
    }

    @AfterAll
    static void stop() throws Exception {
        cluster("down");
    }

    private static void cluster(String command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("ci/cluster.sh").toString(), command)
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("EHR_CLUSTER_HOME", HOME.toString());
        pb.environment().put("EHR_DB", "postgresql");
        pb.environment().put("EHR_JGROUPS_BASE", Integer.toString(JGROUPS_BASE));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("cluster.sh " + command + " failed:\n" + out);
        }
    }

    private static String url(int n) {
        return "jdbc:postgresql://127.0.0.1:" + (JGROUPS_BASE + 50) + "/ehr" + n;
    }

    private static Properties login(int n) throws IOException {
        Properties login = new Properties();
        login.setProperty("user", "ehr" + n);
        login.setProperty("password", Files.readAllLines(HOME.resolve("node-" + n).resolve("db.password")).get(0));
        return login;
    }

    @Test
    void theMigratedSchemaIsTheOneJpaExpectsOnPostgresql() throws Exception {
        assertEquals(new SchemaMigrations.Outcome(SchemaMigrationsTest.CHANGESETS, 0, SchemaMigrationsTest.CHANGESETS),
                TestDatabase.migrate(url(1), login(1)));
        EntityManagerFactory generated = TestDatabase.generatedByEclipseLink(url(2), login(2));
        generated.createEntityManager().close();
        generated.close();

        String eclipseLink = SchemaMigrationsTest.schema(url(2), login(2));
        assertTrue(eclipseLink.contains("ledger_block.batch_digest bytea("), eclipseLink);
        // the one intended difference: the boolean columns have Derby's default (0, here false) on both databases
        String expected = eclipseLink.replace("bool(1) NOT NULL", "bool(1) NOT NULL DEFAULT false");
        assertEquals(expected, SchemaMigrationsTest.schema(url(1), login(1)));

        EntityManagerFactory emf = TestDatabase.migrated(url(1), login(1));
        try {
            SchemaMigrationsTest.assertEveryEntityRoundTrips(emf);
        } finally {
            emf.close();
        }
        assertEquals(new SchemaMigrations.Outcome(0, 0, SchemaMigrationsTest.CHANGESETS), TestDatabase.migrate(url(1), login(1)),
                "a second start changes nothing");
    }

    @Test
    void tablesThatAlreadyExistAreAdoptedWithTheirRows() throws Exception {
        EntityManagerFactory generated = TestDatabase.releaseBeforeMigrations(url(3), login(3));
        SchemaMigrationsTest.inTransaction(generated, em -> SchemaMigrationsTest.versionOneEntities().forEach(em::persist));
        generated.close();
        assertEquals(new SchemaMigrations.Outcome(SchemaMigrationsTest.CHANGESETS - SchemaMigrationsTest.V1_CHANGESETS,
                SchemaMigrationsTest.V1_CHANGESETS, SchemaMigrationsTest.CHANGESETS), TestDatabase.migrate(url(3), login(3)));
        EntityManagerFactory emf = TestDatabase.migrated(url(3), login(3));
        try {
            assertEquals(List.of("dr-a"), emf.createEntityManager()
                    .createQuery("SELECT a.userId FROM AccountRow a", String.class).getResultList());
            assertEquals(3000, emf.createEntityManager().find(AccountRow.class, "dr-a").sealedKeys().length);
        } finally {
            emf.close();
        }
    }
}

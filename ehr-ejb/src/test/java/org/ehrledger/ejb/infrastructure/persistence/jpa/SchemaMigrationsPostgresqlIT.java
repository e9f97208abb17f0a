package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
    private static final PostgresqlServer SERVER = new PostgresqlServer("pg-migrations", 19100);

    @BeforeAll
    static void server() throws Exception {
        SERVER.start();
    }

    @AfterAll
    static void stop() throws Exception {
        SERVER.stop();
    }

    private static String url(int n) {
        return SERVER.url(n);
    }

    private static Properties login(int n) throws IOException {
        return SERVER.login(n);
    }

    @Test
    void theMigratedSchemaIsTheOneJpaExpectsOnPostgresql() throws Exception {
        assertEquals(new SchemaMigrations.Outcome(SchemaMigrationsTest.POSTGRESQL_CHANGESETS, 0, SchemaMigrationsTest.POSTGRESQL_CHANGESETS),
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
        assertEquals(new SchemaMigrations.Outcome(0, 0, SchemaMigrationsTest.POSTGRESQL_CHANGESETS), TestDatabase.migrate(url(1), login(1)),
                "a second start changes nothing");
    }

    @Test
    void tablesThatAlreadyExistAreAdoptedWithTheirRows() throws Exception {
        EntityManagerFactory generated = TestDatabase.releaseBeforeMigrations(url(3), login(3));
        SchemaMigrationsTest.inTransaction(generated, em -> SchemaMigrationsTest.versionOneEntities().forEach(em::persist));
        generated.close();
        assertEquals(new SchemaMigrations.Outcome(SchemaMigrationsTest.POSTGRESQL_CHANGESETS
                - SchemaMigrationsTest.V1_CHANGESETS, SchemaMigrationsTest.V1_CHANGESETS, SchemaMigrationsTest.POSTGRESQL_CHANGESETS), TestDatabase.migrate(url(3), login(3)));
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

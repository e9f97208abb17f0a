package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;

/** The test persistence unit on a database brought to the newest schema by the application's migrations. */
public final class TestDatabase {

    private TestDatabase() {
    }

    /** Migrates the database at the JDBC URL (created if Derby's {@code create=true} says so), then opens JPA on it. */
    public static EntityManagerFactory migrated(String url) {
        return migrated(url, new Properties());
    }

    /** The same with credentials ({@code user}, {@code password}), for a database server. */
    static EntityManagerFactory migrated(String url, Properties login) {
        migrate(url, login);
        return Persistence.createEntityManagerFactory("ehr-test", jpa(url, login));
    }

    static SchemaMigrations.Outcome migrate(String url) {
        return migrate(url, new Properties());
    }

    static SchemaMigrations.Outcome migrate(String url, Properties login) {
        try (Connection connection = DriverManager.getConnection(url, login)) {
            return SchemaMigrations.migrate(connection);
        } catch (Exception e) {
            throw new IllegalStateException("migrating " + url + ": " + e.getMessage(), e);
        }
    }

    /** JPA on a database whose tables EclipseLink generates, as every release before the migrations did. */
    static EntityManagerFactory generatedByEclipseLink(String url) {
        return generatedByEclipseLink(url, new Properties());
    }

    static EntityManagerFactory generatedByEclipseLink(String url, Properties login) {
        Map<String, Object> properties = jpa(url, login);
        properties.put("jakarta.persistence.schema-generation.database.action", "create");
        return Persistence.createEntityManagerFactory("ehr-test", properties);
    }

    /**
     * A database as a release before migrations left it: the tables EclipseLink generated, which were those of
     * version 1 (the world-state tables of version 2 and the index of version 7 did not exist yet).
     */
    static EntityManagerFactory releaseBeforeMigrations(String url) {
        return releaseBeforeMigrations(url, new Properties());
    }

    static EntityManagerFactory releaseBeforeMigrations(String url, Properties login) {
        EntityManagerFactory emf = generatedByEclipseLink(url, login);
        emf.createEntityManager().close();
        try (Connection connection = DriverManager.getConnection(url, login)) {
            List<String> state = new ArrayList<>();
            try (ResultSet t = connection.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
                while (t.next()) {
                    if (t.getString("TABLE_NAME").toUpperCase(Locale.ROOT).startsWith("STATE_")) {
                        state.add(t.getString("TABLE_NAME"));
                    }
                }
            }
            for (String table : state) {
                try (Statement s = connection.createStatement()) {
                    s.executeUpdate("DROP TABLE " + table);
                }
            }
            try (Statement s = connection.createStatement()) { // version 7's index of a version 1 table
                s.executeUpdate("DROP INDEX IX_LEDGER_ENTRY_HEIGHT");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("dropping the tables and indexes of later versions from " + url + ": "
                    + e.getMessage(), e);
        }
        return emf;
    }

    /** Runs a unit of work in a resource-local transaction of the entity manager: committed, or rolled back if it throws. */
    public static void inTransaction(EntityManager em, Runnable work) {
        em.getTransaction().begin();
        try {
            work.run();
            em.getTransaction().commit();
        } catch (RuntimeException e) {
            if (em.getTransaction().isActive()) {
                em.getTransaction().rollback();
            }
            throw e;
        }
    }

    private static Map<String, Object> jpa(String url, Properties login) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("jakarta.persistence.jdbc.url", url);
        if (url.startsWith("jdbc:postgresql:")) {
            properties.put("jakarta.persistence.jdbc.driver", "org.postgresql.Driver");
            properties.put("eclipselink.target-database", "PostgreSQL");
        }
        if (login.containsKey("user")) {
            properties.put("jakarta.persistence.jdbc.user", login.getProperty("user"));
            properties.put("jakarta.persistence.jdbc.password", login.getProperty("password"));
        }
        return properties;
    }
}

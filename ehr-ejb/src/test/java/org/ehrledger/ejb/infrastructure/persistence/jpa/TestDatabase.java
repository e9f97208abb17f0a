package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;

import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;

/** The test persistence unit on a database brought to the newest schema by the application's migrations. */
public final class TestDatabase {

    private TestDatabase() {
    }

    /** Migrates the database at the JDBC URL (created if Derby's {@code create=true} says so), then opens JPA on it. */
    public static EntityManagerFactory migrated(String url) {
        migrate(url);
        return Persistence.createEntityManagerFactory("ehr-test", Map.of("jakarta.persistence.jdbc.url", url));
    }

    static SchemaMigrations.Outcome migrate(String url) {
        try (Connection connection = DriverManager.getConnection(url)) {
            return SchemaMigrations.migrate(connection);
        } catch (Exception e) {
            throw new IllegalStateException("migrating " + url + ": " + e.getMessage(), e);
        }
    }

    /** JPA on a database whose tables EclipseLink generates, as every release before the migrations did. */
    static EntityManagerFactory generatedByEclipseLink(String url) {
        return Persistence.createEntityManagerFactory("ehr-test", Map.of("jakarta.persistence.jdbc.url", url,
                "jakarta.persistence.schema-generation.database.action", "create"));
    }
}

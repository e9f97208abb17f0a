package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

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

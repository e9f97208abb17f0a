package org.ehrledger.ejb.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import org.ehrledger.ejb.infrastructure.persistence.jpa.TestDatabase;

/** A real embedded Derby database under a directory, opened through the "ehr-test" unit, outside any container. */
public final class DerbyDatabase {

    private final String path;
    private EntityManagerFactory emf;
    private EntityManager em;

    /** The database in {@code dir}/ehrdb (created on first open). */
    public DerbyDatabase(Path dir) {
        this.path = dir.resolve("ehrdb").toAbsolutePath().toString();
    }

    /** Opens the database through JPA, brought to the newest schema by the application's migrations. */
    public void open() {
        emf = TestDatabase.migrated("jdbc:derby:directory:" + path + ";create=true");
        em = emf.createEntityManager();
    }

    /** The entity manager of the open database. */
    public EntityManager em() {
        return em;
    }

    /** Closes JPA and shuts the database down, as a stopped replica would leave it. */
    public void close() {
        if (em != null) {
            em.close();
            emf.close();
            em = null;
        }
        try {
            DriverManager.getConnection("jdbc:derby:directory:" + path + ";shutdown=true");
        } catch (SQLException expected) {
            // Derby reports a successful shutdown as an exception (SQLState 08006).
        }
    }

    /** Runs a unit of work in a resource-local transaction: committed, or rolled back if it throws. */
    public void transactional(Runnable work) {
        TestDatabase.inTransaction(em, work);
    }

    /** Edits the closed database directly with JDBC, as someone with file access would; returns the rows changed. */
    public int sql(String statement) throws SQLException {
        close();
        try (Connection c = DriverManager.getConnection("jdbc:derby:directory:" + path); Statement s = c.createStatement()) {
            return s.executeUpdate(statement);
        }
    }
}

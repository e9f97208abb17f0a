package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's data source as configured by system properties, on a real embedded Derby database. */
class ReplicaDataSourceTest {

    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty(ReplicaDataSource.URL);
        System.clearProperty(ReplicaDataSource.USER);
        System.clearProperty(ReplicaDataSource.PASSWORD_FILE);
        try {
            DriverManager.getConnection("jdbc:derby:directory:" + dir.resolve("db") + ";shutdown=true");
        } catch (SQLException expected) {
            // Derby reports a successful shutdown (or a database never booted) as an exception
        }
    }

    @Test
    void withoutConfigurationItIsTheEmbeddedDerbyDatabaseEhrdb() {
        assertEquals("jdbc:derby:ehrdb;create=true", ReplicaDataSource.url());
        assertEquals("jdbc:derby:ehrdb", LedgerDatabase.withoutAttributes(ReplicaDataSource.url()));
        assertEquals("jdbc:postgresql://127.0.0.1:7850/ehr1", LedgerDatabase.withoutAttributes("jdbc:postgresql://127.0.0.1:7850/ehr1?ssl=false"));
    }

    @Test
    void itConnectsToTheConfiguredDatabaseWithTheUserAndThePasswordOfItsFile() throws Exception {
        Path password = dir.resolve("db.password");
        Files.writeString(password, "s3cret-from-file\n");
        System.setProperty(ReplicaDataSource.URL, "jdbc:derby:directory:" + dir.resolve("db") + ";create=true");
        System.setProperty(ReplicaDataSource.USER, "replica1");
        System.setProperty(ReplicaDataSource.PASSWORD_FILE, password.toString());
        try (Connection c = new ReplicaDataSource().getConnection()) {
            assertEquals("replica1", c.getMetaData().getUserName());
            assertTrue(Files.isDirectory(dir.resolve("db")));
        }
    }

    @Test
    void anUnreadablePasswordFileIsNamedButNothingOfItsContentIsShown() {
        System.setProperty(ReplicaDataSource.URL, "jdbc:derby:directory:" + dir.resolve("db") + ";create=true");
        System.setProperty(ReplicaDataSource.PASSWORD_FILE, dir.resolve("missing.password").toString());
        SQLException e = assertThrows(SQLException.class, () -> new ReplicaDataSource().getConnection());
        assertTrue(e.getMessage().contains("missing.password") && e.getMessage().contains(ReplicaDataSource.PASSWORD_FILE), e.getMessage());
        assertFalse(Files.exists(dir.resolve("db")), "no connection was attempted");
    }

    @Test
    void aUrlNoPackagedDriverAcceptsIsRefusedByItsScheme() {
        System.setProperty(ReplicaDataSource.URL, "jdbc:nosuchdb://db.example/replica?password=not-shown");
        SQLException e = assertThrows(SQLException.class, () -> new ReplicaDataSource().getConnection());
        assertEquals("no JDBC driver packaged with the application accepts jdbc:nosuchdb URLs (ehr.db.url)", e.getMessage());
    }
}

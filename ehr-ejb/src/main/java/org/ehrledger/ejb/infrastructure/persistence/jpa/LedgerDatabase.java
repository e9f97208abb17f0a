package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.logging.Logger;

import javax.sql.DataSource;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;

/**
 * The replica's own database, defined by the application so it deploys unchanged on Payara Micro and Payara
 * Server: embedded Derby ({@code ehrdb} under {@code derby.system.home}) by default, or the database that
 * {@code ehr.db.url} names (PostgreSQL, see {@link ReplicaDataSource}). At start it brings the schema to the
 * newest version ({@link SchemaMigrations}) before anything uses JPA: the consensus gateway, which starts the
 * ledger, depends on this bean. On undeploy an embedded Derby database is shut down, so a redeploy into the
 * same JVM can boot it again (Derby XSDB6 otherwise). An EJB, so that the data source definition is processed
 * before JPA in an EAR on Payara Server too.
 */
@DataSourceDefinition(name = LedgerDatabase.JNDI_NAME, className = "org.ehrledger.ejb.infrastructure.persistence.jpa.ReplicaDataSource")
@Singleton
@Startup
@TransactionManagement(TransactionManagementType.BEAN)   // each migration step commits on its own
public class LedgerDatabase {

    static final String JNDI_NAME = "java:app/jdbc/ehr";

    private static final Logger LOG = Logger.getLogger(LedgerDatabase.class.getName());

    @Resource(lookup = JNDI_NAME)
    DataSource dataSource;

    @PostConstruct
    void migrate() {
        String url = ReplicaDataSource.url();
        try (Connection connection = dataSource.getConnection()) {
            SchemaMigrations.Outcome outcome = SchemaMigrations.migrate(connection);
            LOG.info("database " + withoutAttributes(url) + ": " + outcome);
        } catch (Exception e) {
            throw new IllegalStateException("migrating the database " + withoutAttributes(url) + " failed: " + e.getMessage(), e);
        }
    }

    @PreDestroy
    void shutdown() {
        String url = ReplicaDataSource.url();
        if (!url.startsWith("jdbc:derby:") || url.startsWith("jdbc:derby://")) {
            return;   // a database server outlives the replica
        }
        try {
            DriverManager.getConnection(withoutAttributes(url) + ";shutdown=true").close();
        } catch (SQLException e) {
            // SQLState 08006 is Derby's normal answer to a successful database shutdown.
            if (!"08006".equals(e.getSQLState()) && !"XJ004".equals(e.getSQLState())) {
                LOG.warning("shutting down the ledger database: " + e.getMessage());
            }
        }
    }

    /** The URL without its attributes or parameters (nothing secret is kept in it, but nothing is shown either). */
    static String withoutAttributes(String url) {
        int end = url.length();
        for (char c : new char[] {';', '?'}) {
            int at = url.indexOf(c);
            if (at >= 0) {
                end = Math.min(end, at);
            }
        }
        return url.substring(0, end);
    }
}

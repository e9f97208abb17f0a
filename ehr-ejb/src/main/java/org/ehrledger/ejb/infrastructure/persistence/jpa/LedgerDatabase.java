package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;

/**
 * The replica's own embedded Derby database ({@code ehrdb} under {@code derby.system.home}), defined by
 * the application so it deploys unchanged on Payara Micro and Payara Server. On undeploy the database
 * is shut down, so a redeploy into the same JVM can boot it again (Derby XSDB6 otherwise). An EJB, so that
 * the data source definition is processed before JPA in an EAR on Payara Server too; the consensus
 * gateway depends on it, so the database outlives the replica on undeploy.
 */
@DataSourceDefinition(name = "java:app/jdbc/ehr", className = "org.apache.derby.jdbc.EmbeddedDataSource",
        databaseName = "ehrdb", properties = {"createDatabase=create"})
@Singleton
@Startup
public class LedgerDatabase {

    private static final Logger LOG = Logger.getLogger(LedgerDatabase.class.getName());

    @PreDestroy
    void shutdown() {
        try {
            DriverManager.getConnection("jdbc:derby:ehrdb;shutdown=true").close();
        } catch (SQLException e) {
            // SQLState 08006 is Derby's normal answer to a successful database shutdown.
            if (!"08006".equals(e.getSQLState()) && !"XJ004".equals(e.getSQLState())) {
                LOG.warning("shutting down the ledger database: " + e.getMessage());
            }
        }
    }
}

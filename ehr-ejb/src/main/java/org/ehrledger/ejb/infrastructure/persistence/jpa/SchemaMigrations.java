package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import liquibase.Scope;
import liquibase.UpdateSummaryEnum;
import liquibase.analytics.configuration.AnalyticsArgs;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.RanChangeSet;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.command.core.helpers.ShowSummaryArgument;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.core.DerbyDatabase;
import liquibase.database.jvm.JdbcConnection;
import liquibase.lockservice.LockServiceFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * The replica database's schema, versioned: brings a database to the newest version of the changelog
 * {@value #CHANGELOG} (Liquibase), whatever version it holds, Derby or PostgreSQL alike. A database created before
 * migrations existed (tables made by EclipseLink, no {@code DATABASECHANGELOG}) is adopted as it is: the first
 * version's changesets find their tables and are recorded as ran without running.
 */
public final class SchemaMigrations {

    /** Liquibase reports every step at INFO; the replica logs one line per migration instead (LedgerDatabase). */
    private static final Logger LIQUIBASE_LOG = Logger.getLogger("liquibase");

    static {
        LIQUIBASE_LOG.setLevel(Level.WARNING);
    }

    /** The changelog, on the class path; one file per version under {@code db/changelog/}. */
    public static final String CHANGELOG = "db/changelog/changelog.xml";

    /** What a migration did: changesets ran now, recorded as ran because their tables existed, and the total. */
    public record Outcome(int executed, int adopted, int total) {
        @Override
        public String toString() {
            return "schema at changeset " + total + " (" + executed + " applied now, " + adopted + " adopted as they were)";
        }
    }

    private SchemaMigrations() {
    }

    /**
     * Migrates the database behind the connection; the caller owns the connection (it is not closed, and an
     * embedded Derby database is not shut down). The connection must not take part in a JTA transaction: each
     * changeset commits on its own.
     */
    public static Outcome migrate(Connection connection) throws Exception {
        boolean autoCommit = connection.getAutoCommit();
        try {
            return update(connection);
        } finally {
            if (!connection.getAutoCommit()) {
                connection.commit();   // Liquibase's last reads leave a transaction open
            }
            connection.setAutoCommit(autoCommit);
        }
    }

    private static Outcome update(Connection connection) throws Exception {
        Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
        if (database instanceof DerbyDatabase derby) {
            derby.setShutdownEmbeddedDerby(false);   // the container's pool owns the embedded database
        }
        Map<String, Object> scope = new HashMap<>();
        scope.put(Scope.Attr.resourceAccessor.name(), new ClassLoaderResourceAccessor(SchemaMigrations.class.getClassLoader()));
        scope.put(Scope.Attr.classLoader.name(), SchemaMigrations.class.getClassLoader());   // custom changes' classes
        scope.put(Scope.Attr.ui.name(), new LoggerUIService());
        scope.put(AnalyticsArgs.ENABLED.getKey(), false);   // nothing leaves the replica
        return Scope.child(scope, () -> {
            // A replica is its database's only user: a lock still held was left by a start that was killed.
            LockServiceFactory.getInstance().getLockService(database).forceReleaseLock();
            List<RanChangeSet> before = ran(database);
            new CommandScope(UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                    .addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY, UpdateSummaryEnum.OFF)
                    .execute();
            List<RanChangeSet> after = ran(database);
            int executed = 0;
            int adopted = 0;
            for (RanChangeSet r : after.subList(before.size(), after.size())) {
                if (r.getExecType() == ChangeSet.ExecType.MARK_RAN) {
                    adopted++;
                } else {
                    executed++;
                }
            }
            return new Outcome(executed, adopted, after.size());
        });
    }

    private static List<RanChangeSet> ran(Database database) throws Exception {
        var history = Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class).getChangeLogService(database);
        history.reset();
        return history.getRanChangeSets();
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * Moves a stopped replica's database to another database, e.g. from embedded Derby to its own PostgreSQL database
 * (docs/OPERATIONS.md "Running on PostgreSQL"): the target is brought to this version's schema by the application's own
 * migrations ({@link SchemaMigrations}), then every application table - the chain, record contents, world state
 * and the replica's local accounts, enrolments and idempotent answers - is copied row by row with plain JDBC, each
 * value converted to the target column's type (Derby's SMALLINT booleans, BLOB and CLOB become PostgreSQL's
 * BOOLEAN, BYTEA and TEXT). The copy is one transaction on the target: all of it or nothing. Memory stays bounded:
 * rows are streamed from the source and written in pages of at most {@value #PAGE_ROWS} rows or
 * {@value #PAGE_BYTES} bytes. A target that already holds any row is refused and left unchanged. The source's
 * rows are only read; its schema is migrated first (Liquibase's own tables aside, a no-op for a database this
 * version already ran on), as the replica's next start would do.
 */
public final class DatabaseMove {

    static final int PAGE_ROWS = 500;
    static final int PAGE_BYTES = 8 << 20;
    /** A progress line at least every this many rows of one table. */
    private static final long PROGRESS_ROWS = 20_000;

    /** The target already holds data: nothing was copied and the target is as it was. */
    public static final class TargetNotEmptyException extends EhrException {
        private static final long serialVersionUID = 1L;

        TargetNotEmptyException(String message) {
            super(ErrorCode.CONFLICT, message);
        }
    }

    /** A database to read from or write to: its JDBC URL and, for a server, its role and password file. */
    public record Endpoint(String url, String user, Path passwordFile) {
        Connection connect() throws SQLException {
            Properties login = new Properties();
            if (user != null) {
                login.setProperty("user", user);
            }
            if (passwordFile != null) {
                try {
                    login.setProperty("password", Files.readAllLines(passwordFile).stream().findFirst().orElse(""));
                } catch (IOException e) {
                    throw new SQLException("cannot read the password file " + passwordFile + ": " + e.getClass().getSimpleName());
                }
            }
            if (url.startsWith("jdbc:postgresql:")) {
                login.setProperty("reWriteBatchedInserts", "true");   // one multi-row INSERT per page
            }
            return DriverManager.getConnection(url, login);
        }

        /** The URL without anything after {@code ;} or {@code ?} (Derby and PostgreSQL may carry credentials there). */
        String shown() {
            return url.replaceAll("[;?].*$", "");
        }
    }

    /** What a move copied. */
    public record Outcome(int tables, long rows, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "tables=%d rows=%d seconds=%.1f", tables, rows, seconds);
        }
    }

    private final PrintStream progress;

    /** A move that reports each table's rows on the given stream. */
    public DatabaseMove(PrintStream progress) {
        this.progress = progress;
    }

    /**
     * Copies every application table of the source into the target, migrated first; refuses (changing nothing) a
     * target holding any row in an application table.
     */
    public Outcome move(Endpoint from, Endpoint to) throws Exception {
        long start = System.nanoTime();
        try (Connection source = from.connect(); Connection target = to.connect()) {
            refuseIfNotEmpty(target, to);   // before migrating: an older ledger there is not touched either
            SchemaMigrations.Outcome sourceSchema = SchemaMigrations.migrate(source);
            if (sourceSchema.executed() + sourceSchema.adopted() > 0) {
                progress.println("source brought to this version's schema first: " + sourceSchema);
            }
            progress.println("target " + to.shown() + ": " + SchemaMigrations.migrate(target));
            refuseIfNotEmpty(target, to);
            Map<String, String> sourceTables = tables(source);
            Map<String, String> targetTables = tables(target);
            if (!sourceTables.keySet().equals(targetTables.keySet())) {
                throw new IllegalStateException("the source's tables " + sourceTables.keySet() + " are not this version's "
                        + targetTables.keySet() + ": move it with the version of the application that last ran on it");
            }
            source.setReadOnly(true);
            source.setAutoCommit(false);   // one consistent read of a stopped database
            target.setAutoCommit(false);
            long rows = 0;
            try {
                for (Map.Entry<String, String> table : sourceTables.entrySet()) {
                    rows += copy(source, table.getValue(), target, targetTables.get(table.getKey()));
                }
                target.commit();
            } catch (Exception e) {
                target.rollback();
                throw e;
            } finally {
                source.rollback();
            }
            return new Outcome(sourceTables.size(), rows, (System.nanoTime() - start) / 1e9);
        }
    }

    private static void refuseIfNotEmpty(Connection target, Endpoint to) throws SQLException {
        for (Map.Entry<String, String> table : tables(target).entrySet()) {
            try (Statement s = target.createStatement();
                    ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + table.getValue())) {
                r.next();
                if (r.getLong(1) > 0) {
                    if (!target.getAutoCommit()) {
                        target.rollback();
                    }
                    throw new TargetNotEmptyException("the target database " + to.shown() + " already holds data (table "
                            + table.getKey() + " has " + r.getLong(1) + " rows): a replica's database is moved only into an"
                            + " empty database; nothing was changed");
                }
            }
        }
    }

    /** The application's tables in the connection's schema, by upper-case name, in the order the database lists them. */
    private static Map<String, String> tables(Connection c) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        DatabaseMetaData meta = c.getMetaData();
        try (ResultSet t = meta.getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
            while (t.next()) {
                String name = t.getString("TABLE_NAME");
                String key = name.toUpperCase(Locale.ROOT);
                if (!key.startsWith("DATABASECHANGELOG")) {
                    out.put(key, name);
                }
            }
        }
        return out;
    }

    private record Column(String name, int type) {
    }

    private static List<Column> columns(Connection c, String table) throws SQLException {
        List<Column> out = new ArrayList<>();
        try (ResultSet col = c.getMetaData().getColumns(null, c.getSchema(), table, "%")) {
            while (col.next()) {
                out.add(new Column(col.getString("COLUMN_NAME"), col.getInt("DATA_TYPE")));
            }
        }
        return out;
    }

    private long copy(Connection source, String sourceTable, Connection target, String targetTable) throws SQLException {
        List<Column> into = columns(target, targetTable);
        Map<String, Column> from = new LinkedHashMap<>();
        for (Column c : columns(source, sourceTable)) {
            from.put(c.name().toUpperCase(Locale.ROOT), c);
        }
        List<String> select = new ArrayList<>();
        for (Column c : into) {
            Column s = from.remove(c.name().toUpperCase(Locale.ROOT));
            if (s == null) {
                throw new IllegalStateException("the source's table " + sourceTable + " has no column " + c.name());
            }
            select.add(s.name());
        }
        if (!from.isEmpty()) {
            throw new IllegalStateException("the target's table " + targetTable + " has no column for " + from.keySet());
        }
        String insert = "INSERT INTO " + targetTable + " (" + String.join(", ", into.stream().map(Column::name).toList())
                + ") VALUES (" + String.join(", ", into.stream().map(c -> "?").toList()) + ")";
        long rows = 0;
        try (Statement read = source.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
                PreparedStatement write = target.prepareStatement(insert)) {
            read.setFetchSize(PAGE_ROWS);
            try (ResultSet r = read.executeQuery("SELECT " + String.join(", ", select) + " FROM " + sourceTable)) {
                int pageRows = 0;
                long pageBytes = 0;
                while (r.next()) {
                    for (int i = 0; i < into.size(); i++) {
                        pageBytes += transfer(r, i + 1, write, into.get(i).type());
                    }
                    write.addBatch();
                    rows++;
                    if (++pageRows == PAGE_ROWS || pageBytes >= PAGE_BYTES) {
                        write.executeBatch();
                        pageRows = 0;
                        pageBytes = 0;
                        if (rows % PROGRESS_ROWS < PAGE_ROWS) {
                            progress.println(targetTable + " rows=" + rows + " ...");
                        }
                    }
                }
                if (pageRows > 0) {
                    write.executeBatch();
                }
            }
        }
        progress.println(targetTable + " rows=" + rows);
        return rows;
    }

    /** Reads column {@code i} of the source row and binds it as the target column's type; returns its size in bytes. */
    private static long transfer(ResultSet r, int i, PreparedStatement write, int targetType) throws SQLException {
        switch (targetType) {
            case Types.BOOLEAN, Types.BIT -> {
                boolean b = r.getBoolean(i);   // Derby's SMALLINT 0/1 reads as false/true
                if (r.wasNull()) {
                    write.setNull(i, targetType);
                } else {
                    write.setBoolean(i, b);
                }
                return 1;
            }
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
                byte[] bytes = r.getBytes(i);
                if (bytes == null) {
                    write.setNull(i, targetType);
                    return 0;
                }
                write.setBytes(i, bytes);
                return bytes.length;
            }
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.CLOB, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR,
                    Types.NCLOB -> {
                String s = r.getString(i);
                if (s == null) {
                    write.setNull(i, targetType);
                    return 0;
                }
                write.setString(i, s);
                return 2L * s.length();
            }
            default -> {
                Object value = r.getObject(i);
                if (value == null) {
                    write.setNull(i, targetType);
                } else {
                    write.setObject(i, value, targetType);
                }
                return 8;
            }
        }
    }

    /**
     * {@code DatabaseMove --from URL [--from-user ROLE --from-password-file FILE] --to URL [--to-user ROLE
     * --to-password-file FILE]}: moves a stopped replica's database; prints a line per table and last
     * {@code tables=<n> rows=<m> seconds=<s>}. Exit status 0 moved, 3 refused (target not empty), 2 usage, 1 failed.
     */
    public static void main(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        List<String> known = List.of("--from", "--from-user", "--from-password-file", "--to", "--to-user", "--to-password-file");
        if (args.length % 2 != 0 || !options.containsKey("--from") || !options.containsKey("--to")
                || !known.containsAll(options.keySet())) {
            System.err.println("usage: DatabaseMove --from JDBC-URL [--from-user ROLE --from-password-file FILE]"
                    + " --to JDBC-URL [--to-user ROLE --to-password-file FILE]");
            System.exit(2);
        }
        Endpoint from = endpoint(options, "--from");
        Endpoint to = endpoint(options, "--to");
        int status;
        try {
            System.out.println("moving " + from.shown() + " to " + to.shown());
            Outcome outcome = new DatabaseMove(System.out).move(from, to);
            System.out.println(outcome);
            status = 0;
        } catch (TargetNotEmptyException e) {
            System.err.println("refused: " + e.getMessage());
            status = 3;
        } catch (Exception e) {
            System.err.println("the move failed, nothing was committed to the target: " + e.getClass().getSimpleName() + ": "
                    + e.getMessage());
            status = 1;
        } finally {
            shutDownEmbeddedDerby(from);
            shutDownEmbeddedDerby(to);
        }
        System.exit(status);
    }

    private static Endpoint endpoint(Map<String, String> options, String prefix) {
        String file = options.get(prefix + "-password-file");
        return new Endpoint(options.get(prefix), options.get(prefix + "-user"), file == null ? null : Path.of(file));
    }

    /** Leaves an embedded Derby database closed cleanly, as a stopped replica would. */
    private static void shutDownEmbeddedDerby(Endpoint e) {
        if (e.url().startsWith("jdbc:derby:") && !e.url().startsWith("jdbc:derby://")) {
            try {
                DriverManager.getConnection(e.url().replaceAll(";.*$", "") + ";shutdown=true");
            } catch (SQLException expected) {
                // Derby reports a successful shutdown as an exception
            }
        }
    }
}

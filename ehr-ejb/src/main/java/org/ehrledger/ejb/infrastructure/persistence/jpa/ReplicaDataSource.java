package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Locale;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * The replica's own database as the container's connection pool sees it ({@link LedgerDatabase} defines the pool
 * with this class): embedded Derby ({@code ehrdb} under {@code derby.system.home}) unless configured otherwise by
 * <ul>
 * <li>{@code ehr.db.url} - a JDBC URL, e.g. {@code jdbc:postgresql://127.0.0.1:5432/ehr1};</li>
 * <li>{@code ehr.db.user} - the database role;</li>
 * <li>{@code ehr.db.password-file} - a file holding its password (first line), readable by the replica only.</li>
 * </ul>
 * Each is a system property or the matching environment variable ({@code EHR_DB_URL}, ...). The password is read
 * from its file when the pool opens a connection and never logged. The JDBC driver is the one packaged with the
 * application that accepts the URL (Derby and PostgreSQL are).
 */
public class ReplicaDataSource implements DataSource {

    static final String URL = "ehr.db.url";
    static final String USER = "ehr.db.user";
    static final String PASSWORD_FILE = "ehr.db.password-file";
    /** Derby's embedded database of the replica, relative to {@code derby.system.home}, created on first use. */
    static final String DEFAULT_URL = "jdbc:derby:ehrdb;create=true";

    private int loginTimeout;
    private PrintWriter logWriter;

    /** The configured JDBC URL. */
    public static String url() {
        return setting(URL, DEFAULT_URL);
    }

    private static String setting(String key, String fallback) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            value = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    @Override
    public Connection getConnection() throws SQLException {
        String url = url();
        Properties info = new Properties();
        String user = setting(USER, null);
        if (user != null) {
            info.setProperty("user", user);
        }
        String passwordFile = setting(PASSWORD_FILE, null);
        if (passwordFile != null) {
            info.setProperty("password", password(Path.of(passwordFile)));
        }
        Connection connection = driver(url).connect(url, info);
        if (connection == null) {
            throw new SQLException("the JDBC driver refused the URL configured in " + URL);
        }
        return connection;
    }

    /** The pool may pass the credentials of its own definition; this data source has none and uses its own. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    private static String password(Path file) throws SQLException {
        try {
            return Files.readAllLines(file).stream().findFirst().orElse("");
        } catch (IOException e) {
            throw new SQLException("cannot read the database password file " + file + " (" + PASSWORD_FILE + "): "
                    + e.getClass().getSimpleName());
        }
    }

    private static Driver driver(String url) throws SQLException {
        for (Driver driver : ServiceLoader.load(Driver.class, ReplicaDataSource.class.getClassLoader())) {
            if (driver.acceptsURL(url)) {
                return driver;
            }
        }
        String scheme = url.startsWith("jdbc:") ? url.substring(0, Math.max(url.indexOf(':', 5), 5)) : "(not a JDBC URL)";
        throw new SQLException("no JDBC driver packaged with the application accepts " + scheme + " URLs (" + URL + ")");
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }
}

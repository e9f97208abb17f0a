package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.change.custom.CustomTaskChange;
import liquibase.database.Database;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.CustomChangeException;
import liquibase.exception.ValidationErrors;
import liquibase.resource.ResourceAccessor;

import org.ehrledger.ejb.application.contracts.StateRows;
import org.ehrledger.ejb.application.contracts.StateTable;

/**
 * Schema version 5 ({@code v005-record-categories.xml}): fills {@code STATE_RECORD.INDEX_2} of the rows stored
 * before it existed with what {@link StateRows#row} derives from each body, a page of rows at a time, in plain
 * JDBC (Derby and PostgreSQL alike). Bodies and digests are not touched.
 */
public final class RecordCategoriesBackfill implements CustomTaskChange {

    /** Rows read and updated per round trip. */
    static final int PAGE = 500;

    private int filled;

    @Override
    public void execute(Database database) throws CustomChangeException {
        Connection c = ((JdbcConnection) database.getConnection()).getUnderlyingConnection();
        try (PreparedStatement read = c.prepareStatement(
                "SELECT ROW_KEY, BODY FROM STATE_RECORD WHERE ROW_KEY > ? AND INDEX_2 IS NULL ORDER BY ROW_KEY");
             PreparedStatement write = c.prepareStatement("UPDATE STATE_RECORD SET INDEX_2 = ? WHERE ROW_KEY = ?")) {
            read.setMaxRows(PAGE);
            String after = "";
            while (true) {
                Map<String, byte[]> page = new LinkedHashMap<>();
                read.setString(1, after);
                try (ResultSet rs = read.executeQuery()) {
                    while (rs.next()) {
                        page.put(rs.getString(1), rs.getBytes(2));
                    }
                }
                for (Map.Entry<String, byte[]> e : page.entrySet()) {
                    write.setString(1, StateRows.row(StateTable.RECORD, e.getKey(), e.getValue()).index2());
                    write.setString(2, e.getKey());
                    write.addBatch();
                    after = e.getKey();
                }
                if (!page.isEmpty()) {
                    write.executeBatch();
                    filled += page.size();
                }
                if (page.size() < PAGE) {
                    return;
                }
            }
        } catch (SQLException | RuntimeException e) {
            throw new CustomChangeException("filling STATE_RECORD.INDEX_2: " + e.getMessage(), e);
        }
    }

    @Override
    public String getConfirmationMessage() {
        return "STATE_RECORD.INDEX_2 filled for " + filled + " stored record(s)";
    }

    @Override
    public void setUp() {
    }

    @Override
    public void setFileOpener(ResourceAccessor resourceAccessor) {
    }

    @Override
    public ValidationErrors validate(Database database) {
        return new ValidationErrors();
    }
}

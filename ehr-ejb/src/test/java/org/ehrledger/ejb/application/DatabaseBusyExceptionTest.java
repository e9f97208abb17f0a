package org.ehrledger.ejb.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransactionRollbackException;

import jakarta.ejb.EJBException;
import jakarta.persistence.PersistenceException;

import org.junit.jupiter.api.Test;

/** Which database failures are a busy replica (503, retry) and which stay internal errors (500, reported). */
class DatabaseBusyExceptionTest {

    /** What a session bean throws when EclipseLink's query hit Derby's lock timeout, as the container wraps it. */
    private static RuntimeException wrapped(SQLException sql) {
        return new EJBException(new PersistenceException("Exception [EclipseLink-4002]", sql));
    }

    @Test
    void lockTimeoutsDeadlocksAndSerializationFailuresAreBusy() {
        assertTrue(DatabaseBusyException.causes(wrapped(new SQLTransactionRollbackException(
                "A lock could not be obtained within the time requested", "40XL1", 30000))), "Derby's lock timeout");
        assertTrue(DatabaseBusyException.causes(wrapped(new SQLException("deadlock detected", "40P01"))), "PostgreSQL's deadlock");
        assertTrue(DatabaseBusyException.causes(wrapped(new SQLException("could not serialize access", "40001"))));
        assertTrue(DatabaseBusyException.causes(wrapped(new SQLException("lock not available", "55P03"))));
        SQLException batch = new SQLException("batch failed", "XJ208");
        batch.setNextException(new SQLException("deadlock", "40001"));
        assertTrue(DatabaseBusyException.causes(wrapped(batch)), "a conflict chained as the next exception");
        DatabaseBusyException busy = new DatabaseBusyException();
        assertEquals(ErrorCode.BUSY, busy.code());
        assertEquals(503, busy.code().httpStatus());
        assertTrue(busy.getMessage().contains("try again"), busy.getMessage());
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(DatabaseBusyException.causes(wrapped(new SQLSyntaxErrorException("syntax error", "42X01"))));
        assertFalse(DatabaseBusyException.causes(wrapped(new SQLException("disk full", "XSDG1"))));
        assertFalse(DatabaseBusyException.causes(new IllegalStateException("no database at all")));
        assertFalse(DatabaseBusyException.causes(null));
        RuntimeException loop = new RuntimeException("a cause chain that loops") {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Throwable getCause() {
                return this;
            }
        };
        assertFalse(DatabaseBusyException.causes(loop));
    }
}

package org.ehrledger.ejb.application;

import java.sql.SQLException;
import java.sql.SQLTransientException;

import jakarta.ejb.ApplicationException;

/**
 * {@link ErrorCode#BUSY}: the replica's database gave up on this request's transaction because of a conflicting one
 * (a lock wait timed out, a deadlock, a serialization failure), for example while the replica writes the blocks it
 * catches up with. Nothing of the transaction was kept; the caller may try again at once, and a write retried with
 * the same {@code Idempotency-Key} is applied once. Answered as 503 with {@code Retry-After}, not as an internal error.
 */
@ApplicationException(rollback = true)
public class DatabaseBusyException extends EhrException {

    private static final long serialVersionUID = 1L;

    /** Seconds a caller is asked to wait before trying again. */
    public static final long RETRY_AFTER_SECONDS = 1;

    static final String MESSAGE = "this replica's database was busy with a conflicting write (for example while it "
            + "catches up with its peers) and did not complete the request; try again in a moment (a write retried with "
            + "the same Idempotency-Key is applied once)";

    public DatabaseBusyException() {
        super(ErrorCode.BUSY, MESSAGE);
    }

    /**
     * Whether {@code failure} was caused by a transient conflict in the database: an {@link SQLTransientException}
     * or an SQL state of class 40 (transaction rollback: Derby's lock timeout 40XL1 and deadlock 40001, PostgreSQL's
     * serialization failure 40001 and deadlock 40P01) or PostgreSQL's 55P03 (lock not available) anywhere among
     * its causes.
     */
    public static boolean causes(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    String state = s.getSQLState();
                    if (s instanceof SQLTransientException
                            || state != null && (state.startsWith("40") || state.equals("55P03"))) {
                        return true;
                    }
                    if (s.getNextException() == s) {
                        break;
                    }
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}

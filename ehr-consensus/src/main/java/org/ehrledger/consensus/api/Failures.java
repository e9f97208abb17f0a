package org.ehrledger.consensus.api;

import java.sql.SQLException;

/**
 * What an operator reads when a replica stops after an error ({@code Replica.fail}): one line naming the error
 * as its source put it, short, and never the data it was handling.
 *
 * <p>A database error arrives wrapped (JTA, JPA, then the driver); its useful words are the database's own,
 * deepest in the chain. A JDBC batch error's message quotes the statement with its bound values (record ids,
 * ciphertexts: kilobytes), so the error the database raised ({@link SQLException#getNextException}) is shown
 * instead. A full disk is named as such, because it has one remedy.
 */
public final class Failures {

    /** Longest description, in characters; a longer message is cut there. */
    static final int MAX = 300;
    /** What the operating system says when a write finds no space (ENOSPC). */
    private static final String NO_SPACE = "No space left on device";
    /** PostgreSQL's SQLSTATE for a full disk ({@code disk_full}). */
    private static final String PG_DISK_FULL = "53100";
    /** How a description of a full disk begins (the gateway recognises it to say what to do). */
    public static final String DISK_FULL = "the disk is full";

    private Failures() {
    }

    /** One line describing {@code cause}: the class and first line of its most telling error, at most {@value #MAX} characters. */
    public static String describe(Throwable cause) {
        Throwable chosen = cause;
        boolean diskFull = false;
        int depth = 0;
        for (Throwable t = cause; t != null && depth < 32; t = t.getCause(), depth++) {
            diskFull |= isDiskFull(t);
            if (t instanceof SQLException sql) {
                SQLException next = sql.getNextException();
                chosen = next != null ? next : sql;
                diskFull |= next != null && isDiskFull(next);
                break;
            }
            if (t.getMessage() != null) {
                chosen = t;
            }
        }
        String message = chosen.getMessage() == null ? "" : chosen.getMessage().strip().lines().findFirst().orElse("");
        if (message.length() > MAX) {
            message = message.substring(0, MAX) + "...";
        }
        String described = chosen.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
        return diskFull ? DISK_FULL + " (" + described + ")" : described;
    }

    private static boolean isDiskFull(Throwable t) {
        if (t instanceof SQLException sql && PG_DISK_FULL.equals(sql.getSQLState())) {
            return true;
        }
        String m = t.getMessage();
        return m != null && m.contains(NO_SPACE) && (t instanceof SQLException || t instanceof java.io.IOException);
    }
}

package org.ehrledger.ejb.application.service;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.ehrledger.ejb.application.TooManyAttemptsException;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;

/**
 * What makes the sign-in lockout atomic and blind to whether an account exists:
 * <ul>
 * <li>One evaluation per user id at a time. The account's lock is read, the password checked (PBKDF2) and
 * the outcome recorded while the user id is held here; other sign-ins of the same id wait their turn (at
 * most {@value #MAX_WAITING} of them, for at most {@value #WAIT_MILLIS} ms), any more are refused at once
 * without a PBKDF2. So parallel guesses cannot all pass the lock check before the first failure is
 * recorded: at most five wrong passwords are ever evaluated before the account locks. Accounts live in one
 * replica's database and one process serves it, so holding the id in memory suffices.</li>
 * <li>User ids without an account here fail and lock exactly as an account does ({@link AccountRow#lockUntil}),
 * so that a locked answer does not tell that an account exists. Kept in memory, at most
 * {@value #MAX_UNKNOWN_IDS} ids; when full, ids whose lock ended long ago are forgotten first.</li>
 * </ul>
 */
@ApplicationScoped
public class SignInGate {

    /** Most user ids without an account whose failures are remembered. */
    static final int MAX_UNKNOWN_IDS = 50_000;
    /** An unknown id whose lock ended this long ago may be forgotten when the table is full. */
    static final long FORGET_AFTER_MILLIS = 3_600_000L;

    /** Held while one sign-in of a user id is evaluated; closing it lets the next one in. */
    public interface Pass extends AutoCloseable {
        @Override
        void close();
    }

    /** Most sign-ins of one user id waiting while another is evaluated. */
    static final int MAX_WAITING = 4;
    /** Longest wait for the evaluation of another sign-in of the same user id. */
    static final long WAIT_MILLIS = 10_000;

    private record Failures(int count, long lockedUntil, long last) {
    }

    /** The turn of one user id: one holder, and how many hold or wait (the entry goes with the last). */
    private static final class Turn {
        final Semaphore semaphore = new Semaphore(1, true);
        int users;
    }

    private final Map<String, Turn> turns = new ConcurrentHashMap<>();
    private final Map<String, Failures> unknown = new ConcurrentHashMap<>();

    /**
     * Admits the one evaluation of a user id's sign-in, after the evaluations already admitted or waiting.
     *
     * @throws TooManyAttemptsException when {@value #MAX_WAITING} sign-ins of the id already wait, or the
     *                                  turn did not come in time
     */
    public Pass enter(String userId) {
        int[] users = new int[1];
        Turn turn = turns.compute(userId, (id, t) -> {
            Turn mine = t == null ? new Turn() : t;
            users[0] = ++mine.users;
            return mine;
        });
        boolean admitted = false;
        try {
            admitted = users[0] <= MAX_WAITING + 1 && turn.semaphore.tryAcquire(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!admitted) {
                leave(userId);
            }
        }
        if (!admitted) {
            throw new TooManyAttemptsException("other sign-ins of this user id are being checked; try again in a few seconds",
                    WAIT_MILLIS / 1000);
        }
        return () -> {
            turn.semaphore.release();
            leave(userId);
        };
    }

    private void leave(String userId) {
        turns.computeIfPresent(userId, (id, t) -> --t.users == 0 ? null : t);
    }

    /**
     * Refuses a sign-in of a locked user id, with the same words whether or not it has an account.
     *
     * @throws TooManyAttemptsException if {@code lockedUntil} is after {@code now}
     */
    public static void requireUnlocked(long lockedUntil, long now) {
        requireUnlocked(lockedUntil, now, "sign-ins");
    }

    /**
     * Refuses any check of an account's secret (a sign-in, an enrolment code, a password re-entered) while
     * the account is locked; {@code attempts} names what failed, e.g. "sign-ins".
     *
     * @throws TooManyAttemptsException if {@code lockedUntil} is after {@code now}
     */
    static void requireUnlocked(long lockedUntil, long now, String attempts) {
        if (lockedUntil > now) {
            long seconds = Math.max(1, (lockedUntil - now + 999) / 1000);
            throw new TooManyAttemptsException("too many failed " + attempts + "; try again in " + seconds + " s", seconds);
        }
    }

    /** Until when a user id without an account is locked (0: it is not). */
    public long unknownLockedUntil(String userId) {
        Failures f = unknown.get(userId);
        return f == null ? 0 : f.lockedUntil();
    }

    /** Counts a failed sign-in of a user id without an account. */
    public void unknownFailed(String userId, long now) {
        if (unknown.size() >= MAX_UNKNOWN_IDS && !unknown.containsKey(userId)) {
            unknown.values().removeIf(f -> Math.max(f.lockedUntil(), f.last()) < now - FORGET_AFTER_MILLIS);
            if (unknown.size() >= MAX_UNKNOWN_IDS) {
                unknown.clear(); // bounded memory first; each refilling guess costs the guesser a PBKDF2
            }
        }
        unknown.compute(userId, (id, f) -> {
            int count = f == null ? 1 : f.count() + 1;
            long until = Math.max(f == null ? 0 : f.lockedUntil(), AccountRow.lockUntil(count, now));
            return new Failures(count, until, now);
        });
    }
}

package org.ehrledger.ejb.application;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Bounds how many CPU-heavy tasks of one kind run at once, one per core: password derivations (PBKDF2 with 600,000
 * iterations, a few hundred milliseconds of one core each) and FHIR validations (HAPI's validator, with a model of up
 * to 512 K characters of JSON each). Many callers at once (every user of a replica that just restarted signing in,
 * eight importers sending bundles) take their turns instead of sharing the cores among hundreds of request threads:
 * the replica's other requests, its status and its catching up keep their share, and the heap holds one task's working
 * set per core, not one per caller. A task waits for a turn at most {@code waitMillis}, then is answered
 * {@link ErrorCode#BUSY}; turns are given in arrival order.
 */
public final class Turns {

    private final Semaphore turns;
    private final long waitMillis;
    private final String busy;

    /**
     * @param atOnce     tasks running at once
     * @param waitMillis the longest wait for a turn
     * @param busy       what a caller who got no turn is told (ending with what to do)
     */
    public Turns(int atOnce, long waitMillis, String busy) {
        this.turns = new Semaphore(atOnce, true);
        this.waitMillis = waitMillis;
        this.busy = busy;
    }

    /** One task per core (at least two) at once, each waiting at most {@code waitMillis} for a turn. */
    public static Turns perCore(long waitMillis, String busy) {
        return new Turns(Math.max(2, Runtime.getRuntime().availableProcessors()), waitMillis, busy);
    }

    /** Runs a task when it has a turn; {@link ErrorCode#BUSY} if none came in time. */
    public <T> T run(Supplier<T> task) {
        try (Turn turn = take()) {
            return task.get();
        }
    }

    /**
     * Waits for a turn and holds it until the returned {@link Turn} is closed (for work that throws checked
     * exceptions, such as a servlet filter's chain); {@link ErrorCode#BUSY} if none came in time.
     */
    public Turn take() {
        boolean turn;
        try {
            turn = turns.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            turn = false;
        }
        if (!turn) {
            throw new EhrException(ErrorCode.BUSY, busy);
        }
        AtomicBoolean held = new AtomicBoolean(true);
        return () -> {
            if (held.getAndSet(false)) {
                turns.release();
            }
        };
    }

    /** A turn being held: closing it gives it back (once, however often it is closed). */
    public interface Turn extends AutoCloseable {
        @Override
        void close();
    }
}

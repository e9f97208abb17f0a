package org.ehrledger.ejb.application.service;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * Bounds the password derivations running at once (PBKDF2 with 600,000 iterations: a few hundred milliseconds of
 * one core each). Many people signing in together (say, every user of a replica that just restarted) take their
 * turns instead of sharing the cores among hundreds of request threads, so the replica's other requests, its
 * status and its catching up keep their share. A derivation waits for a turn at most {@code waitMillis}, then is
 * answered {@link ErrorCode#BUSY}; turns are given in arrival order.
 */
final class DerivationGate {

    private final Semaphore turns;
    private final long waitMillis;

    DerivationGate(int atOnce, long waitMillis) {
        this.turns = new Semaphore(atOnce, true);
        this.waitMillis = waitMillis;
    }

    /** One derivation per core (at least two), waiting at most 20 s for a turn. */
    static DerivationGate forThisMachine() {
        return new DerivationGate(Math.max(2, Runtime.getRuntime().availableProcessors()), 20_000);
    }

    <T> T run(Supplier<T> derivation) {
        boolean turn;
        try {
            turn = turns.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            turn = false;
        }
        if (!turn) {
            throw new EhrException(ErrorCode.BUSY, "many people are signing in at this replica at once; try again in a "
                    + "few seconds");
        }
        try {
            return derivation.get();
        } finally {
            turns.release();
        }
    }
}

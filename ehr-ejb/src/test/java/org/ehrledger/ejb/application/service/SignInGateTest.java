package org.ehrledger.ejb.application.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.ehrledger.ejb.application.TooManyAttemptsException;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.junit.jupiter.api.Test;

/** One evaluation per user id at a time, a bounded queue, and unknown ids locked like accounts. */
class SignInGateTest {

    @Test
    void parallelSignInsOfOneUserIdAreEvaluatedOneAtATimeAndTheSurplusIsRefusedAtOnce() throws Exception {
        SignInGate gate = new SignInGate();
        int callers = 15;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        CountDownLatch refusedAtOnce = new CountDownLatch(callers - SignInGate.MAX_WAITING);
        List<Future<Boolean>> outcomes = new ArrayList<>();
        SignInGate.Pass first = gate.enter("p-1"); // an evaluation in progress
        for (int i = 0; i < callers; i++) {
            outcomes.add(pool.submit(() -> {
                try (SignInGate.Pass pass = gate.enter("p-1")) {
                    mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    Thread.sleep(20); // the PBKDF2
                    inside.decrementAndGet();
                    return true;
                } catch (TooManyAttemptsException refused) {
                    refusedAtOnce.countDown();
                    return false;
                }
            }));
        }
        assertTrue(refusedAtOnce.await(5, TimeUnit.SECONDS), "all but " + SignInGate.MAX_WAITING + " refused at once");
        first.close();
        int admitted = 0;
        for (Future<Boolean> f : outcomes) {
            admitted += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(SignInGate.MAX_WAITING, admitted, "the waiting ones, each in turn");
        assertEquals(1, mostInside.get(), "never two evaluations of one user id at once");
        try (SignInGate.Pass again = gate.enter("p-1")) {
            assertNotNull(again, "once every sign-in has left, the next one is admitted at once");
        }
    }

    @Test
    void differentUserIdsDoNotWaitForEachOther() {
        SignInGate gate = new SignInGate();
        long start = System.nanoTime();
        try (SignInGate.Pass a = gate.enter("p-1"); SignInGate.Pass b = gate.enter("p-2")) {
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(SignInGate.WAIT_MILLIS / 2),
                    "p-2 was admitted while p-1 is evaluated, without waiting for it");
        }
    }

    @Test
    void aUserIdWithoutAnAccountLocksAfterFiveFailuresExactlyAsAnAccountDoes() {
        SignInGate gate = new SignInGate();
        AccountRow account = new AccountRow("p-real", "PATIENT", "org", "Real", new byte[0], 0);
        long now = 1_000_000;
        for (int i = 0; i < 4; i++) {
            gate.unknownFailed("p-ghost", now);
            account.loginFailed(now);
            SignInGate.requireUnlocked(gate.unknownLockedUntil("p-ghost"), now);
        }
        gate.unknownFailed("p-ghost", now);
        account.loginFailed(now);
        assertEquals(account.lockedUntil(), gate.unknownLockedUntil("p-ghost"));
        TooManyAttemptsException ghost = assertThrows(TooManyAttemptsException.class,
                () -> SignInGate.requireUnlocked(gate.unknownLockedUntil("p-ghost"), now + 1));
        TooManyAttemptsException real = assertThrows(TooManyAttemptsException.class,
                () -> SignInGate.requireUnlocked(account.lockedUntil(), now + 1));
        assertEquals(real.getMessage(), ghost.getMessage());
        assertEquals(30, ghost.retryAfterSeconds());
        SignInGate.requireUnlocked(gate.unknownLockedUntil("p-ghost"), now + 30_000);
    }

    @Test
    void aFullTableOfUnknownIdsForgetsTheIdsWhoseLockEndedLongAgoFirst() {
        SignInGate gate = new SignInGate();
        long later = 2 * SignInGate.FORGET_AFTER_MILLIS;
        lockUnknown(gate, "ghost-old", 0);
        for (int i = 0; i < SignInGate.MAX_UNKNOWN_IDS - 2; i++) {
            gate.unknownFailed("ghost-" + i, 0);
        }
        lockUnknown(gate, "ghost-recent", later);
        assertTrue(gate.unknownLockedUntil("ghost-old") > 0, "remembered while there is room");
        gate.unknownFailed("ghost-newcomer", later); // the table is full
        assertEquals(0, gate.unknownLockedUntil("ghost-old"), "its lock ended long ago: forgotten");
        assertTrue(gate.unknownLockedUntil("ghost-recent") > later, "a lock still running is kept");
    }

    @Test
    void aTableFullOfRecentUnknownIdsIsEmptiedRatherThanGrown() {
        SignInGate gate = new SignInGate();
        lockUnknown(gate, "ghost-first", 0);
        for (int i = 0; i < SignInGate.MAX_UNKNOWN_IDS; i++) {
            gate.unknownFailed("ghost-" + i, 0);
        }
        assertEquals(0, gate.unknownLockedUntil("ghost-first"), "forgotten: memory is bounded first");
    }

    private static void lockUnknown(SignInGate gate, String userId, long now) {
        for (int i = 0; i < 5; i++) {
            gate.unknownFailed(userId, now);
        }
    }
}

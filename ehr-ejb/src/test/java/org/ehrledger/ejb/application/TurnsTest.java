package org.ehrledger.ejb.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Tasks beyond the bound wait for a turn, and are answered BUSY if none comes in time. */
class TurnsTest {

    @Test
    void aDerivationBeyondTheBoundWaitsThenIsAnsweredBusyAndTheNextOneAfterATurnEndsRuns() throws Exception {
        Turns gate = new Turns(1, 200, "many people are signing in at this replica at once; try again in a few seconds");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> gate.run(() -> {
            running.countDown();
            try {
                finish.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "first";
        }));
        assertTrue(running.await(30, TimeUnit.SECONDS));

        long started = System.nanoTime();
        EhrException busy = assertThrows(EhrException.class, () -> gate.run(() -> "second"));
        assertEquals(ErrorCode.BUSY, busy.code());
        assertTrue(busy.getMessage().contains("try again"), busy.getMessage());
        assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(150), "it waited for a turn first");

        finish.countDown();
        assertEquals("first", first.get(30, TimeUnit.SECONDS));
        assertEquals("third", gate.run(() -> "third"), "a turn is free again");
    }

    @Test
    void aDerivationThatFailsGivesItsTurnBack() {
        Turns gate = new Turns(1, 200, "many people are signing in at this replica at once; try again in a few seconds");
        assertThrows(IllegalStateException.class, () -> gate.run(() -> {
            throw new IllegalStateException("wrong password");
        }));
        assertEquals("next", gate.run(() -> "next"));
    }

    @Test
    void aTakenTurnIsHeldUntilClosedAndGivenBackOnceHoweverOftenItIsClosed() {
        Turns gate = new Turns(1, 100, "busy; try again in a few seconds");
        Turns.Turn turn = gate.take();
        assertEquals(ErrorCode.BUSY, assertThrows(EhrException.class, gate::take).code(), "the only turn is held");
        turn.close();
        turn.close(); // a second close does not give back a turn that is not held
        Turns.Turn next = gate.take();
        assertEquals(ErrorCode.BUSY, assertThrows(EhrException.class, gate::take).code(), "still one turn, not two");
        next.close();
    }
}

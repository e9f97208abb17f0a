package org.ehrledger.ejb.application.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.junit.jupiter.api.Test;

/** Password derivations beyond the gate's bound wait for a turn, and are answered BUSY if none comes in time. */
class DerivationGateTest {

    @Test
    void aDerivationBeyondTheBoundWaitsThenIsAnsweredBusyAndTheNextOneAfterATurnEndsRuns() throws Exception {
        DerivationGate gate = new DerivationGate(1, 200);
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
        DerivationGate gate = new DerivationGate(1, 200);
        assertThrows(IllegalStateException.class, () -> gate.run(() -> {
            throw new IllegalStateException("wrong password");
        }));
        assertEquals("next", gate.run(() -> "next"));
    }
}

package org.ehrledger.ejb.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** Work offered to helpers is done once, by a helper or by the thread that needs it, never waited for in vain. */
class SharedTaskTest {

    @Test
    void aHelperDoesTheWorkWhileTheOfferingThreadGoesOn() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            SharedTask<String> t = new SharedTask<>(() -> {
                ranOn.set(Thread.currentThread());
                started.countDown();
                await(release);
                return "answer";
            }).offer(pool);
            assertTrue(started.await(10, TimeUnit.SECONDS), "the helper started it");
            assertFalse(t.done(), "still running on the helper while this thread goes on");
            release.countDown();
            assertEquals("answer", t.answer());
            assertTrue(ranOn.get() != Thread.currentThread(), "done by the helper");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void workNoHelperStartedIsDoneByTheThreadThatNeedsIt() {
        List<Runnable> queued = new ArrayList<>(); // an executor whose threads are all busy: it only queues
        AtomicInteger runs = new AtomicInteger();
        SharedTask<Thread> t = new SharedTask<>(() -> {
            runs.incrementAndGet();
            return Thread.currentThread();
        }).offer(queued::add);
        assertSame(Thread.currentThread(), t.answer(), "not waited for: done here");
        queued.forEach(Runnable::run); // the helper comes to it later
        assertEquals(1, runs.get(), "done once");

        SharedTask<String> refused = new SharedTask<>(() -> "here").offer(r -> {
            throw new RejectedExecutionException("shut down");
        });
        assertEquals("here", refused.answer());
        assertEquals("alone", new SharedTask<>(() -> "alone").offer(null).answer());
    }

    @Test
    void aFailureIsThrownAsItWasToTheThreadThatNeedsTheAnswer() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            EhrException refused = new EhrException(ErrorCode.REFUSED, "no consent");
            SharedTask<String> t = new SharedTask<String>(() -> {
                throw refused;
            }).offer(pool);
            assertSame(refused, assertThrows(EhrException.class, t::answer));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void droppedWorkNoOneStartedIsNeverDoneAndStartedWorkRunsToItsEnd() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        SharedTask<Integer> notStarted = new SharedTask<>(runs::incrementAndGet).offer(queued::add);
        notStarted.drop();
        queued.forEach(Runnable::run);
        assertEquals(0, runs.get(), "not done");
        assertThrows(CancellationException.class, notStarted::answer);

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            SharedTask<String> running = new SharedTask<>(() -> {
                started.countDown();
                await(release);
                return "stored";
            }).offer(pool);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            running.drop();
            release.countDown();
            assertEquals("stored", running.answer(), "a started task is not cut short");
        } finally {
            pool.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

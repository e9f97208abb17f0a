package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.ErrorCode;

/**
 * The bounded table of asynchronous jobs both bulk exports and imports keep: its bounds in all and per caller,
 * jobs visible to their caller alone, expiry after the retention, and cancelling.
 */
class AsyncJobsTest {

    private static final Duration RETENTION = Duration.ofMinutes(60);

    /** A job that counts how often it ran. */
    private static final class Counted extends AsyncJobs.Job {
        int runs;
        boolean forgotten;

        Counted(String id, String owner) {
            super(id, owner);
        }

        @Override
        String progress() {
            return runs + " runs";
        }

        @Override
        void forget() {
            forgotten = true;
        }
    }

    /** An executor that runs nothing until the test says so, in the order the tasks were submitted. */
    private static final class Queue {
        final List<Runnable> tasks = new ArrayList<>();
        final List<CompletableFuture<Void>> futures = new ArrayList<>();

        Future<?> submit(Runnable task) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            tasks.add(task);
            futures.add(f);
            return f;
        }

        void runAll() {
            for (int i = 0; i < tasks.size(); i++) {
                if (!futures.get(i).isCancelled() && !futures.get(i).isDone()) {
                    tasks.get(i).run();
                    futures.get(i).complete(null);
                }
            }
        }
    }

    private final Queue queue = new Queue();
    private final AtomicLong now = new AtomicLong(1_000_000);

    private AsyncJobs<Counted> table(boolean forgetsRunningOnCancel) {
        AsyncJobs.Kind kind = new AsyncJobs.Kind("export", "delete", "started", ErrorCode.TOO_MANY_EXPORTS, 3, 1, 4,
                RETENTION, forgetsRunningOnCancel);
        return new AsyncJobs<>(kind, queue::submit, now::get);
    }

    private static Counted start(AsyncJobs<Counted> jobs, String owner) {
        return jobs.start(owner, id -> new Counted(id, owner), j -> j.runs++);
    }

    private static FhirException refused(Runnable r) {
        return assertThrows(FhirException.class, r::run);
    }

    @Test
    void aCallerRunsOneJobAtATimeAndTheServerAtMostItsBound() {
        AsyncJobs<Counted> jobs = table(false);
        Counted first = start(jobs, "dr-a");
        FhirException mine = refused(() -> start(jobs, "dr-a"));
        assertEquals(429, mine.status());
        assertEquals("TOO_MANY_EXPORTS", mine.outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        assertEquals("you already have an export running: wait for it or delete it, then start another",
                mine.outcome().getIssueFirstRep().getDiagnostics());
        start(jobs, "dr-b");
        start(jobs, "dr-c");
        FhirException full = refused(() -> start(jobs, "dr-d"));
        assertEquals(429, full.status());
        assertEquals("the server runs as many exports as it may; try again in a few minutes",
                full.outcome().getIssueFirstRep().getDiagnostics());

        queue.runAll();
        assertTrue(first.done());
        assertEquals(1, first.runs);
        Counted second = start(jobs, "dr-a");
        assertFalse(second.done(), "a caller whose job finished starts another");
        assertEquals(429, refused(() -> start(jobs, "dr-e")).status(),
                "finished jobs are kept, and the table keeps at most its bound");
    }

    @Test
    void aJobIsVisibleToItsCallerAloneAndForgottenAfterTheRetention() {
        AsyncJobs<Counted> jobs = table(false);
        Counted job = start(jobs, "dr-a");
        assertSame(job, jobs.of(job.id, "dr-a"));
        FhirException other = refused(() -> jobs.of(job.id, "dr-b"));
        assertEquals(404, other.status(), "another caller's job is as unknown as one that never existed");
        assertEquals(refused(() -> jobs.of("0".repeat(32), "dr-b")).outcome().getIssueFirstRep().getDiagnostics()
                .replace("0".repeat(32), job.id), other.outcome().getIssueFirstRep().getDiagnostics());
        assertEquals(404, refused(() -> jobs.cancel(job.id, "dr-b")).status());
        assertFalse(job.cancelled(), "another caller cannot cancel it");

        now.addAndGet(RETENTION.toMillis() * 5);
        assertSame(job, jobs.of(job.id, "dr-a"), "a running job never expires");
        queue.runAll();
        now.addAndGet(RETENTION.toMillis());
        assertSame(job, jobs.of(job.id, "dr-a"), "kept for the retention after it finished");
        assertFalse(job.forgotten);
        now.addAndGet(1);
        FhirException gone = refused(() -> jobs.of(job.id, "dr-a"));
        assertTrue(job.forgotten, "what it made is let go with it");
        assertEquals(404, gone.status());
        assertTrue(gone.outcome().getIssueFirstRep().getDiagnostics().contains("kept for 60 minutes after they finish"));
    }

    @Test
    void cancellingForgetsAFinishedJobAndARunningOneOnlyWhereTheKindSaysSo() {
        AsyncJobs<Counted> keeps = table(false);
        Counted running = start(keeps, "dr-a");
        keeps.cancel(running.id, "dr-a");
        assertTrue(running.cancelled());
        assertSame(running, keeps.of(running.id, "dr-a"), "kept to answer how it ended");
        assertFalse(running.forgotten);
        queue.runAll();
        assertEquals(1, running.runs, "its work still starts, and stops itself at its first check");
        keeps.cancel(running.id, "dr-a");
        assertEquals(404, refused(() -> keeps.of(running.id, "dr-a")).status(), "a finished job is forgotten");
        assertTrue(running.forgotten);

        AsyncJobs<Counted> forgets = table(true);
        Counted export = start(forgets, "dr-a");
        forgets.cancel(export.id, "dr-a");
        assertEquals(404, refused(() -> forgets.of(export.id, "dr-a")).status(), "forgotten at once");
        assertTrue(export.forgotten, "its files go at once");
        queue.runAll();
        assertEquals(0, export.runs, "a job cancelled before it started never runs");
        assertFalse(start(forgets, "dr-a").done(), "and its caller's place is free again");
    }
}

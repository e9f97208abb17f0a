package org.ehrledger.web.fhir;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * Asynchronous imports of transaction bundles ({@code Prefer: respond-async}): each runs on the container's
 * managed executor as the caller who sent it, reports its progress in entries, and keeps its
 * transaction-response (or its OperationOutcome) for {@link #RETENTION} for that caller alone. Bounded like
 * bulk exports: {@link #MAX_RUNNING} running at once, {@link #MAX_RUNNING_PER_CALLER} per caller,
 * {@link #MAX_KEPT} kept in all.
 */
@ApplicationScoped
public class ImportJobs {

    private static final Logger LOG = Logger.getLogger(ImportJobs.class.getName());

    /** Imports running at once, for all callers (each holds its bundle in memory; more are refused with 429). */
    static final int MAX_RUNNING = 2;
    /** Imports one caller may have running at once. */
    static final int MAX_RUNNING_PER_CALLER = 1;
    /** Imports kept (running or finished, not yet expired or deleted). */
    static final int MAX_KEPT = 16;
    /** How long a finished import's answer is kept. */
    static final Duration RETENTION = Duration.ofHours(1);

    private static final SecureRandom RANDOM = new SecureRandom();

    @Resource
    ManagedExecutorService executor;

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    /** How far an import got: entries checked by the validator, records committed or staged, of how many. */
    static final class Progress {
        final int entries;
        final AtomicInteger validated = new AtomicInteger();
        final AtomicInteger records = new AtomicInteger();
        volatile int total;
        volatile boolean cancelled;

        Progress(int entries) {
            this.entries = entries;
            this.total = entries;
        }

        /** What a status request reports while the import runs ({@code X-Progress}). */
        String describe() {
            int done = records.get();
            if (done == 0 && validated.get() < entries) {
                return "validating: " + validated.get() + " of " + entries + " entries checked (0%)";
            }
            return done + " of " + total + " entries committed (" + (total == 0 ? 100 : done * 100L / total) + "%)";
        }
    }

    /** An import: who sent it, how far it got and, once done, its answer. */
    static final class Job {
        final String id;
        final String owner;
        final Progress progress;
        private volatile Bundle result;
        private volatile FhirException failure;
        private volatile boolean done;
        private volatile long finishedAt;
        /** What the job does, dropped when it starts so that a kept job does not keep its bundle. */
        private volatile Function<Progress, Bundle> work;

        Job(String id, String owner, int entries) {
            this.id = id;
            this.owner = owner;
            this.progress = new Progress(entries);
        }

        boolean done() {
            return done;
        }

        /** The transaction-response of a finished import, or null if it failed. */
        Bundle result() {
            return result;
        }

        /** What a finished import failed with, or null. */
        FhirException failure() {
            return failure;
        }

        /** Runs the work it was started with. */
        void run() {
            Function<Progress, Bundle> w = work;
            work = null;
            if (w != null) {
                run(w);
            }
        }

        void run(Function<Progress, Bundle> work) {
            try {
                result = work.apply(progress);
            } catch (FhirException e) {
                failure = e;
            } catch (EhrException e) {
                int status = e.code() == ErrorCode.REFUSED ? 403 : e.code().httpStatus();
                failure = new FhirException(status, Outcomes.of(OperationOutcome.IssueSeverity.ERROR, Outcomes.type(status),
                        e.code().name(), e.getMessage()));
            } catch (RuntimeException e) {
                LOG.warning("import " + id + " failed: " + e.getClass().getName());
                failure = new FhirException(500, OperationOutcome.IssueType.EXCEPTION, ErrorCode.INTERNAL,
                        "the import failed (" + e.getClass().getSimpleName() + "); nothing of it is visible");
            } finally {
                finishedAt = System.currentTimeMillis();
                done = true;
            }
        }

        private boolean expired(long now) {
            return done && now - finishedAt > RETENTION.toMillis();
        }
    }

    /**
     * Starts an import of {@code entries} entries for the caller of {@code request}, or refuses it with 429 when
     * the caller or the server already runs as many as it may.
     */
    synchronized Job start(FhirRequest request, int entries, Function<Progress, Bundle> work) {
        expire();
        String owner = request.caller();
        long running = jobs.values().stream().filter(j -> !j.done()).count();
        long mine = jobs.values().stream().filter(j -> !j.done() && j.owner.equals(owner)).count();
        if (mine >= MAX_RUNNING_PER_CALLER || running >= MAX_RUNNING || jobs.size() >= MAX_KEPT) {
            throw new FhirException(429, OperationOutcome.IssueType.THROTTLED, ErrorCode.TOO_MANY_IMPORTS, mine >= MAX_RUNNING_PER_CALLER
                    ? "you already have an import running: wait for it or cancel it, then start another"
                    : "the server runs as many imports as it may; try again in a few minutes");
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        Job job = new Job(HexFormat.of().formatHex(id), owner, entries);
        job.work = work;
        jobs.put(job.id, job);
        submit(job::run);
        return job;
    }

    /** Runs an import on the managed executor, which carries the caller's identity to the session beans. */
    Future<?> submit(Runnable task) {
        return executor.submit(task);
    }

    /** The caller's import (another caller's is as unknown as one that never existed: 404). */
    Job of(String id, String caller) {
        expire();
        Job job = jobs.get(id);
        if (job == null || !job.owner.equals(caller)) {
            throw FhirException.notFound("no import " + id + " (imports are kept for " + RETENTION.toMinutes()
                    + " minutes after they finish, for the caller who sent them)");
        }
        return job;
    }

    /**
     * Cancels the caller's import: a running one stops before its next consensus request and is aborted on the
     * ledger (nothing of it becomes visible); a finished one is forgotten (its records stay).
     */
    void cancel(String id, String caller) {
        Job job = of(id, caller);
        job.progress.cancelled = true;
        if (job.done()) {
            jobs.remove(id);
        }
    }

    private void expire() {
        long now = System.currentTimeMillis();
        jobs.values().removeIf(j -> j.expired(now));
    }
}

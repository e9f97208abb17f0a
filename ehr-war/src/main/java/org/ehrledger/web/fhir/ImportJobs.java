package org.ehrledger.web.fhir;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * Asynchronous imports of transaction bundles ({@code Prefer: respond-async}): each runs on the container's
 * managed executor as the caller who sent it, reports its progress in entries, and keeps its
 * transaction-response (or its OperationOutcome) for {@link #RETENTION} for that caller alone. Bounded in an
 * {@link AsyncJobs} table like bulk exports: {@link #MAX_RUNNING} running at once, {@link #MAX_RUNNING_PER_CALLER}
 * per caller, {@link #MAX_KEPT} kept in all.
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

    /** Imports: a cancelled one runs on until it stops, so that its status says how it ended. */
    static final AsyncJobs.Kind KIND = new AsyncJobs.Kind("import", "cancel", "sent", ErrorCode.TOO_MANY_IMPORTS,
            MAX_RUNNING, MAX_RUNNING_PER_CALLER, MAX_KEPT, RETENTION, false);

    @Resource
    ManagedExecutorService executor;

    private final AsyncJobs<Job> jobs = new AsyncJobs<>(KIND, this::submit, System::currentTimeMillis);

    /**
     * How far an import got: entries checked by the validator, records committed or staged, of how many; and the
     * threads that may validate its entries beside the one that runs it (null: none).
     */
    static final class Progress {
        final int entries;
        final Executor helpers;
        final AtomicInteger validated = new AtomicInteger();
        final AtomicInteger records = new AtomicInteger();
        volatile int total;
        volatile boolean cancelled;

        Progress(int entries) {
            this(entries, null);
        }

        Progress(int entries, Executor helpers) {
            this.entries = entries;
            this.helpers = helpers;
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
    static final class Job extends AsyncJobs.Job {
        final Progress progress;
        /** The transaction-response as compact JSON: kept for an hour, a whole history's answer is a few MB as text, tens as objects. */
        private volatile byte[] result;
        private volatile FhirException failure;
        /** What the job does, dropped when it starts so that a kept job does not keep its bundle. */
        private volatile Function<Progress, Bundle> work;

        Job(String id, String owner, int entries) {
            this(id, owner, entries, null);
        }

        Job(String id, String owner, int entries, Executor helpers) {
            super(id, owner);
            this.progress = new Progress(entries, helpers);
        }

        @Override
        String progress() {
            return progress.describe();
        }

        @Override
        void cancel() {
            super.cancel();
            progress.cancelled = true;
        }

        /** The transaction-response of a finished import, or null if it failed. */
        Bundle result() {
            byte[] r = result;
            return r == null ? null : (Bundle) Fhir.parser(false).parseResource(new String(r, java.nio.charset.StandardCharsets.UTF_8));
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
                result = Fhir.encode(work.apply(progress), false);
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
            }
        }
    }

    /**
     * Starts an import of {@code entries} entries for the caller of {@code request}, or refuses it with 429 when
     * the caller or the server already runs as many as it may.
     */
    Job start(FhirRequest request, int entries, Function<Progress, Bundle> work) {
        String owner = request.caller();
        return jobs.start(owner, id -> {
            Job job = new Job(id, owner, entries, executor);
            job.work = work;
            return job;
        }, Job::run);
    }

    /** Runs an import on the managed executor, which carries the caller's identity to the session beans. */
    Future<?> submit(Runnable task) {
        return executor.submit(task);
    }

    /** Where an import's entries are validated beside the thread that runs it ({@link Fhir#validateEach}). */
    Executor helpers() {
        return executor;
    }

    /** The caller's import (another caller's is as unknown as one that never existed: 404). */
    Job of(String id, String caller) {
        return jobs.of(id, caller);
    }

    /** The status answer of a running import (202, {@code X-Progress}), or of a finished one: its answer or its error. */
    Response status(String id, String caller) {
        Job job = of(id, caller);
        if (!job.done()) {
            return AsyncJobs.running(job);
        }
        if (job.failure() != null) {
            return Response.status(job.failure().status()).entity(job.failure().outcome()).build();
        }
        return Response.ok(job.result()).header("Expires", jobs.expires()).build();
    }

    /**
     * Cancels the caller's import: a running one stops before its next consensus request and is aborted on the
     * ledger (nothing of it becomes visible); a finished one is forgotten (its records stay).
     */
    void cancel(String id, String caller) {
        jobs.cancel(id, caller);
    }
}

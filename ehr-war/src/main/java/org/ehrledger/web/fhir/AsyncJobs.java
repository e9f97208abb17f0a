package org.ehrledger.web.fhir;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

import jakarta.ws.rs.core.Response;

import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.ErrorCode;

/**
 * A bounded table of one kind of asynchronous job (bulk exports, imports): each is started by a caller, runs
 * on an executor, reports its progress ({@code X-Progress}) and is visible to that caller alone (anyone else's
 * job is as unknown as one that never existed: 404). At most {@link Kind#maxRunning} run at once,
 * {@link Kind#maxRunningPerCaller} per caller and {@link Kind#maxKept} are kept (running or finished); more are
 * refused with 429. A finished job is forgotten {@link Kind#retention} after it finished.
 *
 * @param <J> the kind's job, holding what it was asked and what it made
 */
final class AsyncJobs<J extends AsyncJobs.Job> {

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What differs between kinds of job: their name in messages ({@code noun}, how a caller {@code stops} one and
     * how they {@code started} it), the error code of a refusal, the bounds, and whether cancelling a running job
     * forgets it at once (exports: their files go with them) or keeps it until it stops, to answer how it ended
     * (imports).
     */
    record Kind(String noun, String stops, String started, ErrorCode busy, int maxRunning, int maxRunningPerCaller,
                int maxKept, Duration retention, boolean forgetsRunningOnCancel) {
    }

    /** One job: its id, who started it, whether it was cancelled, and once it finished, when. */
    abstract static class Job {
        final String id;
        final String owner;
        private volatile boolean cancelled;
        private volatile boolean done;
        private volatile long finishedAt;
        volatile Future<?> future;

        Job(String id, String owner) {
            this.id = id;
            this.owner = owner;
        }

        /** Whether the job finished (its work returned or failed). */
        final boolean done() {
            return done;
        }

        /** Whether its caller cancelled it (its work stops at its next check). */
        final boolean cancelled() {
            return cancelled;
        }

        /** Tells the job to stop; a kind whose work checks its own flag overrides this to set it too. */
        void cancel() {
            cancelled = true;
        }

        /** Lets go of what the job made (its files), once it is no longer kept; nothing by default. */
        void forget() {
        }

        /** What a status request reports while the job runs ({@code X-Progress}). */
        abstract String progress();

        void finish(long at) {
            finishedAt = at;
            done = true;
        }

        boolean expired(long now, Duration retention) {
            return done && now - finishedAt > retention.toMillis();
        }
    }

    private final Kind kind;
    private final Function<Runnable, Future<?>> executor;
    private final LongSupplier clock;
    private final Map<String, J> jobs = new ConcurrentHashMap<>();

    /** A table of jobs of this kind, run by {@code executor}, its time (retention) from {@code clock}. */
    AsyncJobs(Kind kind, Function<Runnable, Future<?>> executor, LongSupplier clock) {
        this.kind = kind;
        this.executor = executor;
        this.clock = clock;
    }

    /**
     * Starts a job of {@code owner}: {@code create} makes it from its new id, {@code work} runs it on the executor
     * (the job is done when the work returns or throws). Refused with 429 when the caller or the server already
     * runs as many as it may, or the table is full.
     */
    synchronized J start(String owner, Function<String, J> create, Consumer<J> work) {
        expire();
        long running = jobs.values().stream().filter(j -> !j.done()).count();
        long mine = jobs.values().stream().filter(j -> !j.done() && j.owner.equals(owner)).count();
        if (mine >= kind.maxRunningPerCaller() || running >= kind.maxRunning() || jobs.size() >= kind.maxKept()) {
            throw new FhirException(429, OperationOutcome.IssueType.THROTTLED, kind.busy(), mine >= kind.maxRunningPerCaller()
                    ? "you already have an " + kind.noun() + " running: wait for it or " + kind.stops() + " it, then start another"
                    : "the server runs as many " + kind.noun() + "s as it may; try again in a few minutes");
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        J job = create.apply(HexFormat.of().formatHex(id));
        jobs.put(job.id, job);
        job.future = executor.apply(() -> {
            try {
                work.accept(job);
            } finally {
                job.finish(clock.getAsLong());
            }
        });
        return job;
    }

    /** The caller's job (another caller's is as unknown as one that never existed: 404). */
    J of(String id, String caller) {
        expire();
        J job = jobs.get(id);
        if (job == null || !job.owner.equals(caller)) {
            throw FhirException.notFound("no " + kind.noun() + " " + id + " (" + kind.noun() + "s are kept for "
                    + kind.retention().toMinutes() + " minutes after they finish, for the caller who " + kind.started() + " them)");
        }
        return job;
    }

    /**
     * Cancels the caller's job: it is told to stop; a finished one is forgotten, and a running one too if the
     * kind forgets running jobs on cancel (its work, if it has not started yet, never starts).
     */
    J cancel(String id, String caller) {
        J job = of(id, caller);
        job.cancel();
        if (kind.forgetsRunningOnCancel()) {
            Future<?> f = job.future;
            if (f != null) {
                f.cancel(false);
            }
            forget(id);
        } else if (job.done()) {
            forget(id);
        }
        return job;
    }

    /** The status answer of a job still running: 202 with its progress and when to ask again. */
    static Response running(Job job) {
        return Response.accepted().header("X-Progress", job.progress()).header("Retry-After", 2).build();
    }

    /** The {@code Expires} of a finished job's answer given now: the retention from now. */
    Date expires() {
        return Date.from(Instant.now().plus(kind.retention()));
    }

    /** Forgets the jobs whose retention has passed (with what they made): on each use of the table, and on a timer. */
    void expire() {
        long now = clock.getAsLong();
        jobs.values().stream().filter(j -> j.expired(now, kind.retention())).map(j -> j.id).toList().forEach(this::forget);
    }

    private void forget(String id) {
        J job = jobs.remove(id);
        if (job != null) {
            job.forget();
        }
    }
}

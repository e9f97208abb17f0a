package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;

import ca.uhn.fhir.parser.IParser;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.EhrException;

/**
 * Bulk exports in progress and finished ({@code $export}): each runs on the container's managed executor as
 * the caller who started it (so each patient's read is the caller's own, audited as any FHIR read), and its
 * NDJSON files are kept in memory for {@link #RETENTION} for that caller alone. Bounded: {@link #MAX_RUNNING}
 * exports running at once, {@link #MAX_RUNNING_PER_CALLER} per caller, {@link #MAX_KEPT} kept in all, and
 * {@link #MAX_BYTES} of output per export.
 */
@ApplicationScoped
public class ExportJobs {

    private static final Logger LOG = Logger.getLogger(ExportJobs.class.getName());

    /** Exports running at once, for all callers (more are refused with 429). */
    static final int MAX_RUNNING = 4;
    /** Exports one caller may have running at once. */
    static final int MAX_RUNNING_PER_CALLER = 1;
    /** Exports kept (running or finished, not yet expired or deleted). */
    static final int MAX_KEPT = 32;
    /** How long a finished export's files are kept. */
    static final Duration RETENTION = Duration.ofHours(1);
    /** The most NDJSON one export may hold; a larger one fails with an error asking to narrow it. */
    static final int MAX_BYTES = 64 * 1024 * 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    @Resource
    ManagedExecutorService executor;

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    /** An export: who started it, what it asked for, how far it got and, once done, its files. */
    static final class Job {
        final String id;
        final String owner;
        final String request;
        final BulkExport.Parameters parameters;
        final List<String> patients;
        final Instant transactionTime = Instant.now();
        final AtomicInteger patientsRead = new AtomicInteger();
        final AtomicInteger resources = new AtomicInteger();
        private final Map<String, StringBuilder> output = new TreeMap<>();
        private final Map<String, Integer> counts = new TreeMap<>();
        private final StringBuilder errors = new StringBuilder();
        private int errorCount;
        private int bytes;
        private volatile boolean done;
        private volatile boolean cancelled;
        private volatile long finishedAt;
        private Future<?> future;

        Job(String id, String owner, String request, BulkExport.Parameters parameters, List<String> patients) {
            this.id = id;
            this.owner = owner;
            this.request = request;
            this.parameters = parameters;
            this.patients = List.copyOf(patients);
        }

        boolean done() {
            return done;
        }

        /** What a status request reports while the export runs. */
        String progress() {
            return resources.get() + " resources from " + patientsRead.get() + " of " + patients.size() + " patients";
        }

        /** Reads each patient as the caller (in this thread, under the caller's identity) and writes the NDJSON. */
        void run(FhirRequest caller) {
            IParser json = Fhir.context().newJsonParser().setPrettyPrint(false);
            try {
                for (String patient : patients) {
                    if (cancelled) {
                        return;
                    }
                    try {
                        for (org.hl7.fhir.r4.model.Resource r : new Patients(caller).compartment(patient, parameters.categories())) {
                            String type = r.fhirType();
                            if (parameters.wants(type) && (!r.getMeta().hasLastUpdated()
                                    || parameters.since(r.getMeta().getLastUpdated().getTime()))) {
                                add(type, json.encodeResourceToString(r));
                            }
                        }
                    } catch (FhirException | EhrException e) {
                        error("patient " + patient + ": " + e.getMessage(), json);
                    } catch (TooLarge e) {
                        throw e;
                    } catch (RuntimeException e) {
                        LOG.warning("bulk export " + id + ": patient " + patient + " not exported: " + e.getClass().getName());
                        error("patient " + patient + ": could not be read (" + e.getClass().getSimpleName() + ")", json);
                    }
                    patientsRead.incrementAndGet();
                }
            } catch (TooLarge e) {
                synchronized (this) {
                    output.clear();
                    counts.clear();
                }
                error("the export is larger than " + MAX_BYTES / (1024 * 1024) + " MiB: narrow it with _type, _since or "
                        + "patient", json);
            } finally {
                finishedAt = System.currentTimeMillis();
                done = true;
            }
        }

        private synchronized void add(String type, String line) {
            bytes += line.length() + 1;
            if (bytes > MAX_BYTES) {
                throw new TooLarge();
            }
            output.computeIfAbsent(type, t -> new StringBuilder()).append(line).append('\n');
            counts.merge(type, 1, Integer::sum);
            resources.incrementAndGet();
        }

        private synchronized void error(String diagnostics, IParser json) {
            OperationOutcome o = Outcomes.of(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueType.PROCESSING,
                    "EXPORT_INCOMPLETE", diagnostics);
            errors.append(json.encodeResourceToString(o)).append('\n');
            errorCount++;
        }

        /** The output manifest of a finished export, with its files under {@code base}. */
        synchronized String manifest(String base) {
            String files = base + "/" + FhirEndpoint.EXPORTS + "/" + id + "/";
            List<BulkExport.Output> out = new ArrayList<>();
            counts.forEach((type, n) -> out.add(new BulkExport.Output(type, files + type + ".ndjson", n)));
            List<BulkExport.Output> err = errorCount == 0 ? List.of()
                    : List.of(new BulkExport.Output("OperationOutcome", files + "OperationOutcome.ndjson", errorCount));
            return BulkExport.manifest(transactionTime, request, out, err);
        }

        /** One finished file's NDJSON, or null if the export has none of that type. */
        synchronized byte[] file(String type) {
            StringBuilder b = type.equals("OperationOutcome") ? (errorCount == 0 ? null : errors) : output.get(type);
            return b == null ? null : b.toString().getBytes(StandardCharsets.UTF_8);
        }

        private boolean expired(long now) {
            return done && now - finishedAt > RETENTION.toMillis();
        }
    }

    private static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super(null, null, false, false);
        }
    }

    /**
     * Starts an export of these patients for the caller of {@code request}, or refuses it with 429 when the
     * caller or the server already runs as many as it may.
     */
    synchronized Job start(FhirRequest request, String url, BulkExport.Parameters parameters, List<String> patients) {
        expire();
        String owner = request.caller();
        long running = jobs.values().stream().filter(j -> !j.done()).count();
        long mine = jobs.values().stream().filter(j -> !j.done() && j.owner.equals(owner)).count();
        if (mine >= MAX_RUNNING_PER_CALLER || running >= MAX_RUNNING || jobs.size() >= MAX_KEPT) {
            throw new FhirException(429, OperationOutcome.IssueType.THROTTLED, ErrorCode.TOO_MANY_EXPORTS, mine >= MAX_RUNNING_PER_CALLER
                    ? "you already have an export running: wait for it or delete it, then start another"
                    : "the server runs as many exports as it may; try again in a few minutes");
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        Job job = new Job(HexFormat.of().formatHex(id), owner, url, parameters, patients);
        FhirRequest detached = request.detached();
        jobs.put(job.id, job);
        job.future = submit(() -> job.run(detached));
        return job;
    }

    /** Runs an export on the managed executor, which carries the caller's identity to the session beans. */
    Future<?> submit(Runnable export) {
        return executor.submit(export);
    }

    /** The caller's export (another caller's is as unknown as one that never existed: 404). */
    Job of(String id, String caller) {
        expire();
        Job job = jobs.get(id);
        if (job == null || !job.owner.equals(caller)) {
            throw FhirException.notFound("no export " + id + " (exports are kept for " + RETENTION.toMinutes()
                    + " minutes after they finish, for the caller who started them)");
        }
        return job;
    }

    /**
     * Stops the caller's export if it runs (between two patients: interrupting a thread inside a database call
     * closes its connection) and removes it with its files.
     */
    void cancel(String id, String caller) {
        Job job = of(id, caller);
        job.cancelled = true;
        Future<?> f = job.future;
        if (f != null) {
            f.cancel(false);
        }
        jobs.remove(id);
    }

    private void expire() {
        long now = System.currentTimeMillis();
        jobs.values().removeIf(j -> j.expired(now));
    }
}

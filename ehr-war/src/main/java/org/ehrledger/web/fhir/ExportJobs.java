package org.ehrledger.web.fhir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import ca.uhn.fhir.parser.IParser;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;

/**
 * Bulk exports in progress and finished ({@code $export}): each runs on the container's managed executor as
 * the caller who started it (so each patient's read is the caller's own, audited as any FHIR read), reads each
 * patient a page of records at a time, and writes its NDJSON files to the replica's disk sealed under keys only
 * this replica holds ({@link ExportFiles}), for {@link #RETENTION}, for that caller alone. Bounded in an
 * {@link AsyncJobs} table: {@link #MAX_RUNNING} exports running at once, {@link #MAX_RUNNING_PER_CALLER} per caller,
 * {@link #MAX_KEPT} kept in all; {@link #MAX_BYTES} of output per export and {@link #MAX_HELD_BYTES} for all.
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
    static final long MAX_BYTES = 1024L * 1024 * 1024;
    /** The most NDJSON all kept exports hold on the replica's disk together. */
    static final long MAX_HELD_BYTES = 4 * MAX_BYTES;
    /** The name of the error file. */
    static final String ERRORS = "OperationOutcome";

    /** Exports: a cancelled one is forgotten at once, with its files. */
    static final AsyncJobs.Kind KIND = new AsyncJobs.Kind("export", "delete", "started", ErrorCode.TOO_MANY_EXPORTS,
            MAX_RUNNING, MAX_RUNNING_PER_CALLER, MAX_KEPT, RETENTION, true);

    @Resource
    ManagedExecutorService executor;

    @Inject
    ReplicaConfig config;

    private final AsyncJobs<Job> jobs = new AsyncJobs<>(KIND, this::submit, System::currentTimeMillis);
    private final ExportFiles.Budget budget = new ExportFiles.Budget(MAX_HELD_BYTES);
    /** Where exports' files are: {@code exports} in the replica's data directory. */
    Path root;

    @Resource
    ManagedScheduledExecutorService timer;

    private ScheduledFuture<?> sweeping;

    /**
     * Removes the files of exports an earlier run left (their keys went with it), and from now on removes those
     * of finished exports once their retention has passed, every minute, whether or not anyone asks for them.
     */
    @PostConstruct
    void open() {
        root = config.dataDir().resolve("exports");
        ExportFiles.clear(root);
        sweeping = timer.scheduleWithFixedDelay(jobs::expire, 1, 1, TimeUnit.MINUTES);
    }

    /** Stops the timer and removes every export's files (their keys are about to go). */
    @PreDestroy
    void close() {
        if (sweeping != null) {
            sweeping.cancel(false);
        }
        ExportFiles.clear(root);
    }

    /** An export: who started it, what it asked for, how far it got and, once done, its files. */
    static final class Job extends AsyncJobs.Job {
        final String request;
        final BulkExport.Parameters parameters;
        final List<String> patients;
        /** The categories read of each patient. */
        final Set<Category> categories;
        final Instant transactionTime = Instant.now();
        final AtomicInteger patientsRead = new AtomicInteger();
        final AtomicInteger resources = new AtomicInteger();
        private final ExportFiles files;
        private final Map<String, Integer> counts = new TreeMap<>();
        private final long maxBytes;
        private long bytes;
        private int errorCount;

        Job(String id, String owner, String request, BulkExport.Parameters parameters, List<String> patients,
            Set<Category> categories, ExportFiles files, long maxBytes) {
            super(id, owner);
            this.request = request;
            this.parameters = parameters;
            this.patients = List.copyOf(patients);
            this.categories = Set.copyOf(categories);
            this.files = files;
            this.maxBytes = maxBytes;
        }

        @Override
        String progress() {
            return resources.get() + " resources from " + patientsRead.get() + " of " + patients.size() + " patients";
        }

        /**
         * Reads each patient as the caller (in this thread, under the caller's identity), a page of records at a
         * time, and writes the NDJSON; a patient the caller may not read is an error line, the others are exported.
         */
        void run(FhirRequest caller) {
            IParser json = Fhir.context().newJsonParser().setPrettyPrint(false);
            try {
                for (String patient : patients) {
                    if (cancelled()) {
                        return;
                    }
                    try {
                        new Patients(caller).compartment(patient, categories, r -> {
                            String type = r.fhirType();
                            if (parameters.wants(type) && (!r.getMeta().hasLastUpdated()
                                    || parameters.since(r.getMeta().getLastUpdated().getTime()))) {
                                add(type, json.encodeResourceToString(r));
                            }
                        });
                    } catch (FhirException | EhrException e) {
                        error("patient " + patient + ": " + e.getMessage(), json);
                    } catch (TooLarge | ExportFiles.Full e) {
                        throw e;
                    } catch (RuntimeException e) {
                        LOG.warning("bulk export " + id + ": patient " + patient + " not exported: " + e.getClass().getName());
                        error("patient " + patient + ": could not be read (" + e.getClass().getSimpleName() + ")", json);
                    }
                    patientsRead.incrementAndGet();
                }
            } catch (TooLarge | ExportFiles.Full e) {
                synchronized (this) {
                    counts.keySet().forEach(files::discard);
                    counts.clear();
                }
                error(e instanceof TooLarge ? "the export is larger than " + MAX_BYTES / (1024 * 1024) + " MiB: narrow it with "
                        + "_type, _since or patient" : "the server holds as many exports as its disk allows: delete finished "
                        + "exports you no longer need or try again when they expire (" + RETENTION.toMinutes() + " minutes "
                        + "after they finish)", json);
            } finally {
                files.finish();
            }
        }

        private synchronized void add(String type, String line) {
            bytes += line.length() + 1;
            if (bytes > maxBytes) {
                throw new TooLarge();
            }
            files.append(type, line);
            counts.merge(type, 1, Integer::sum);
            resources.incrementAndGet();
        }

        private synchronized void error(String diagnostics, IParser json) {
            OperationOutcome o = Outcomes.of(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueType.PROCESSING,
                    "EXPORT_INCOMPLETE", diagnostics);
            files.force(ERRORS, json.encodeResourceToString(o));
            errorCount++;
        }

        /** The output manifest of a finished export, with its files under {@code base}. */
        synchronized String manifest(String base) {
            String files = base + "/" + FhirEndpoint.EXPORTS + "/" + id + "/";
            List<BulkExport.Output> out = new ArrayList<>();
            counts.forEach((type, n) -> out.add(new BulkExport.Output(type, files + type + ".ndjson", n)));
            List<BulkExport.Output> err = errorCount == 0 ? List.of()
                    : List.of(new BulkExport.Output(ERRORS, files + ERRORS + ".ndjson", errorCount));
            return BulkExport.manifest(transactionTime, request, out, err);
        }

        /** Whether the finished export has a file of this type (or of errors: {@value ExportJobs#ERRORS}). */
        boolean has(String type) {
            return done() && files.has(type);
        }

        /** Writes one finished file's NDJSON to {@code out}, a chunk at a time. */
        void write(String type, OutputStream out) throws IOException {
            files.copy(type, out);
        }

        /** Its files go when it is forgotten. */
        @Override
        void forget() {
            files.delete();
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
    Job start(FhirRequest request, String url, BulkExport.Parameters parameters, List<String> patients) {
        return start(request, url, parameters, patients, parameters.categories());
    }

    /** Starts an export reading only these categories of each patient (a group's: what its members consented to). */
    Job start(FhirRequest request, String url, BulkExport.Parameters parameters, List<String> patients, Set<Category> categories) {
        String owner = request.caller();
        FhirRequest detached = request.detached();
        return jobs.start(owner, id -> new Job(id, owner, url, parameters, patients, categories,
                new ExportFiles(root.resolve(id), budget), MAX_BYTES), job -> job.run(detached));
    }

    /** Runs an export on the managed executor, which carries the caller's identity to the session beans. */
    Future<?> submit(Runnable export) {
        return executor.submit(export);
    }

    /** The caller's export (another caller's is as unknown as one that never existed: 404). */
    Job of(String id, String caller) {
        return jobs.of(id, caller);
    }

    /** The status answer: 202 with {@code X-Progress} while the export runs, 200 with its manifest (files under {@code base}) when done. */
    Response status(String id, String caller, String base) {
        Job job = of(id, caller);
        if (!job.done()) {
            return AsyncJobs.running(job);
        }
        return Response.ok(job.manifest(base), MediaType.APPLICATION_JSON).header("Expires", jobs.expires()).build();
    }

    /**
     * Stops the caller's export if it runs (between two patients: interrupting a thread inside a database call
     * closes its connection) and removes it with its files.
     */
    void cancel(String id, String caller) {
        jobs.cancel(id, caller);
    }
}

package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import ca.uhn.fhir.parser.IParser;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.domain.model.record.Category;

/**
 * Bulk exports in progress and finished ({@code $export}): each runs on the container's managed executor as
 * the caller who started it (so each patient's read is the caller's own, audited as any FHIR read), and its
 * NDJSON files are kept in memory for {@link #RETENTION} for that caller alone. Bounded in an {@link AsyncJobs}
 * table: {@link #MAX_RUNNING} exports running at once, {@link #MAX_RUNNING_PER_CALLER} per caller,
 * {@link #MAX_KEPT} kept in all; and {@link #MAX_BYTES} of output per export.
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

    /** Exports: a cancelled one is forgotten at once, with its files. */
    static final AsyncJobs.Kind KIND = new AsyncJobs.Kind("export", "delete", "started", ErrorCode.TOO_MANY_EXPORTS,
            MAX_RUNNING, MAX_RUNNING_PER_CALLER, MAX_KEPT, RETENTION, true);

    @Resource
    ManagedExecutorService executor;

    private final AsyncJobs<Job> jobs = new AsyncJobs<>(KIND, this::submit, System::currentTimeMillis);

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
        private final Map<String, StringBuilder> output = new TreeMap<>();
        private final Map<String, Integer> counts = new TreeMap<>();
        private final StringBuilder errors = new StringBuilder();
        private int errorCount;
        private int bytes;

        Job(String id, String owner, String request, BulkExport.Parameters parameters, List<String> patients) {
            this(id, owner, request, parameters, patients, parameters.categories());
        }

        Job(String id, String owner, String request, BulkExport.Parameters parameters, List<String> patients,
            Set<Category> categories) {
            super(id, owner);
            this.request = request;
            this.parameters = parameters;
            this.patients = List.copyOf(patients);
            this.categories = Set.copyOf(categories);
        }

        @Override
        String progress() {
            return resources.get() + " resources from " + patientsRead.get() + " of " + patients.size() + " patients";
        }

        /** Reads each patient as the caller (in this thread, under the caller's identity) and writes the NDJSON. */
        void run(FhirRequest caller) {
            IParser json = Fhir.context().newJsonParser().setPrettyPrint(false);
            try {
                for (String patient : patients) {
                    if (cancelled()) {
                        return;
                    }
                    try {
                        for (org.hl7.fhir.r4.model.Resource r : new Patients(caller).compartment(patient, categories)) {
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
        return jobs.start(owner, id -> new Job(id, owner, url, parameters, patients, categories), job -> job.run(detached));
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

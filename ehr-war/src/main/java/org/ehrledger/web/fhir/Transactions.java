package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import jakarta.ws.rs.core.Response;

import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ImportService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Import;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Transaction (and batch) Bundles of one patient's records, of any size a hospital exports: validated as a
 * whole, planned ({@link Transaction}) with ids derived from the bundle's hash, committed all or nothing
 * ({@link ImportService}: one consensus request when they fit, else staged and published at once), answered
 * with a transaction-response; asynchronously with {@code Prefer: respond-async} ({@link ImportJobs}). The
 * same bundle sent again by the same caller creates nothing new and is answered as the first time.
 */
final class Transactions {

    /** User data of a parsed body: the hex SHA-256 of its bytes, set by {@link FhirProviders.Reader}. */
    static final String BODY_HASH = "ehr-ledger.body-sha256";
    /** Errors listed at most when a large bundle's entries are validated one by one. */
    private static final int MAX_ERRORS = 100;

    private final FhirRequest request;
    private final ImportService imports;

    Transactions(FhirRequest request, ImportService imports) {
        this.request = request;
        this.imports = imports;
    }

    /** Commits a bundle now (200 with the transaction-response), or as a job when {@code prefer} asks (202). */
    Response commit(Resource body, String prefer, ImportJobs jobs) {
        return commit(checked(body), prefer, jobs, UnaryOperator.identity());
    }

    /**
     * Commits one patient's NDJSON lines ({@link NdjsonImport}) exactly as a bundle of them, now or as a job; every
     * error names the line at fault.
     */
    Response commitLines(String patientId, byte[] ndjson, String prefer, ImportJobs jobs) {
        Bundle bundle = checked(NdjsonImport.bundle(patientId, ndjson));
        int[] lines = NdjsonImport.lines(bundle);
        return commit(bundle, prefer, jobs, e -> NdjsonImport.byLine(e, lines));
    }

    private Response commit(Bundle bundle, String prefer, ImportJobs jobs, UnaryOperator<FhirException> located) {
        if (prefer != null && prefer.toLowerCase(Locale.ROOT).replace(" ", "").contains("respond-async")) {
            ImportJobs.Job job = start(bundle, jobs, located);
            return Response.accepted().header("Content-Location", request.base() + "/" + FhirEndpoint.IMPORTS + "/" + job.id).build();
        }
        ImportJobs.Progress progress = new ImportJobs.Progress(bundle.getEntry().size(), jobs.helpers());
        return Response.ok(run(new AtomicReference<>(bundle), hashOf(bundle), progress, located)).build();
    }

    /** A transaction or batch Bundle within the bounds of an import, or a 400/413 saying what is wrong. */
    static Bundle checked(Resource body) {
        if (!(body instanceof Bundle bundle) || (bundle.getType() != Bundle.BundleType.TRANSACTION
                && bundle.getType() != Bundle.BundleType.BATCH)) {
            throw FhirException.invalid("send a Bundle of type transaction (or batch)");
        }
        if (bundle.getEntry().size() > Import.MAX_RECORDS + 1) {
            throw new FhirException(413, OperationOutcome.IssueType.TOOLONG, ErrorCode.PAYLOAD_TOO_LARGE,
                    "a transaction holds at most " + Import.MAX_RECORDS + " records and their patient; split it");
        }
        return bundle;
    }

    /** Starts a bundle's import as a job of the caller ({@link ImportJobs}), run as this request detached from its thread. */
    ImportJobs.Job start(Bundle bundle, ImportJobs jobs) {
        return start(bundle, jobs, UnaryOperator.identity());
    }

    private ImportJobs.Job start(Bundle bundle, ImportJobs jobs, UnaryOperator<FhirException> located) {
        String hash = hashOf(bundle);
        FhirRequest detached = request.detached();
        AtomicReference<Bundle> sent = new AtomicReference<>(bundle);
        return jobs.start(request, bundle.getEntry().size(),
                progress -> new Transactions(detached, imports).run(sent, hash, progress, located));
    }

    /** {@link #run(AtomicReference, String, ImportJobs.Progress)}, its failures' locations named by {@code located}. */
    private Bundle run(AtomicReference<Bundle> sent, String hash, ImportJobs.Progress progress, UnaryOperator<FhirException> located) {
        try {
            return run(sent, hash, progress);
        } catch (FhirException e) {
            throw located.apply(e);
        }
    }

    /**
     * Validates, plans and commits the bundle in {@code sent}, reporting to {@code progress}; the transaction-response.
     * The bundle is taken out of {@code sent} and let go once planned, and the drafts are let go as they are sealed
     * ({@link ImportService#importAll}): a whole history parsed is tens of MB, held only as long as it is needed.
     */
    Bundle run(AtomicReference<Bundle> sent, String hash, ImportJobs.Progress progress) {
        Transaction t = plan(sent.getAndSet(null), hash, progress);
        if (!request.isSelf(t.patientId())) {
            request.practitioners().find(t.patientId()); // the patient exists (NOT_FOUND otherwise); nothing is read
        }
        List<RecordService.Draft> drafts = new ArrayList<>(t.drafts()); // taken by the import below
        t = t.withoutDrafts();
        List<String> ids = List.of();
        progress.total = drafts.size();
        if (!drafts.isEmpty()) {
            ids = imports.importAll(t.patientId(), hash, drafts, progress.records::set, () -> progress.cancelled).recordIds();
        }
        return t.response(ids);
    }

    /** Validates and plans a bundle; only the plan outlives this call. */
    private Transaction plan(Bundle bundle, String hash, ImportJobs.Progress progress) {
        Transaction.resolveConditionalReferences(bundle);
        Fhir.Findings findings = validate(bundle, progress);
        String importId = ImportService.importId(request.caller(), hash);
        return Transaction.plan(bundle, request.is(Role.PATIENT) ? request.caller() : null, n -> ImportService.recordId(importId, n))
                .answering(findings.warnings());
    }

    /**
     * Validates a bundle: as a whole when it fits one request, else entry by entry, each entry as if alone (the
     * bundle-level rules are {@link Transaction#plan}'s: one patient, POST, every {@code urn:uuid:} reference an entry),
     * a chunk of entries per validation ({@link Fhir#validateEach}), so that validating a whole history takes time in
     * proportion to its entries. Refuses it with every error found, each named by its entry, in the order of the
     * entries; once {@value #MAX_ERRORS} errors are found, after the entry that reached them, it stops.
     */
    static Fhir.Findings validate(Bundle bundle, ImportJobs.Progress progress) {
        List<Bundle.BundleEntryComponent> entries = bundle.getEntry();
        if (entries.size() <= RecordService.MAX_BATCH + 1) {
            Fhir.Findings f = FhirEndpoint.validate(bundle);
            progress.validated.set(entries.size());
            return f;
        }
        List<SingleValidationMessage> errors = new ArrayList<>();
        List<SingleValidationMessage> warnings = new ArrayList<>();
        List<Resource> resources = new ArrayList<>(entries.size());
        entries.forEach(e -> resources.add(e.getResource()));
        Fhir.validateEach(resources, progress.helpers, (i, f) -> {
            String at = "Bundle.entry[" + i + "].";
            f.errors().forEach(m -> errors.add(located(m, at)));
            f.warnings().forEach(m -> warnings.add(located(m, at)));
            progress.validated.incrementAndGet();
            return errors.size() < MAX_ERRORS;
        });
        if (!errors.isEmpty()) {
            throw FhirException.invalidResource(errors);
        }
        return new Fhir.Findings(List.of(), warnings);
    }

    private static SingleValidationMessage located(SingleValidationMessage m, String prefix) {
        m.setLocationString(prefix + (m.getLocationString() == null ? "resource" : m.getLocationString()));
        return m;
    }

    /** The hex SHA-256 of the bundle as sent (its body's bytes), or of its JSON when it was not parsed from a body. */
    static String hashOf(Bundle bundle) {
        Object sent = bundle.getUserData(BODY_HASH);
        if (sent instanceof String s) {
            return s;
        }
        return Digest.sha256(Fhir.json(bundle).getBytes(StandardCharsets.UTF_8)).hex();
    }
}

package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.Ids;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * A patient's records (the clinical resource types, read, searched and created one by one) and where each
 * was committed (Provenance). Practitioners' reads are committed to the ledger as access events (with the
 * {@code X-Access-Reason} header as the reason) before anything is decrypted; a read without a basis is
 * committed too, refused by the contracts, and answered 403.
 */
final class Records {

    private final FhirRequest request;

    Records(FhirRequest request) {
        this.request = request;
    }

    /** A record as the resource of {@code type} it was written as. */
    Resource read(String type, String id) {
        requireRecordType(type);
        return Resources.resource(recordOf(type, id));
    }

    /** One record, read (and audited) as its category; the type in the URL, if given, must be the record's. */
    ClinicalRecords.Opened recordOf(String type, String id) {
        RecordService.Located at = request.records().locate(id);
        Category category = Category.valueOf(at.category());
        if (type != null && !RecordTypes.categoriesOf(type).contains(category)) {
            throw FhirException.notFound("no " + type + " " + id);
        }
        List<ClinicalRecords.Opened> found = request.is(Role.PRACTITIONER)
                ? FhirRequest.refusedAsForbidden(() -> request.practitioners().record(at.patientId(), id, category, request.reason())
                .records())
                : read(at.patientId(), EnumSet.of(category));
        return found.stream().filter(o -> o.record().id().equals(id))
                .filter(o -> type == null || Resources.typeOf(o).equals(type)).findFirst()
                .orElseThrow(() -> FhirException.notFound("no " + (type == null ? "record" : type) + " " + id));
    }

    /** Records of a patient one request opens in memory at most (a search, its includes, {@code $everything}). */
    static final int MAX_OPENED = 2_000;
    /** Bytes of records one request opens in memory at most, whatever their number (long reports, attachments). */
    static final long MAX_OPENED_BYTES = 32L * 1024 * 1024;
    /** Records a search that pages forward reads for one answer, at most (opening one page of them at a time). */
    static final int MAX_SCANNED = 10_000;
    /** Records read per page. */
    private static final int PAGE = ClinicalRecords.PageQuery.MAX_LIMIT;

    private static String names(Set<Category> categories) {
        return categories.stream().map(Enum::name).sorted().collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * The records of a patient the caller may read in these categories, newest first, opened: the patient's own,
     * or a practitioner's under consent, break-glass or treatment (each page read recorded on chain as the chart's
     * reads are). At most {@value #MAX_OPENED} records and {@value #MAX_OPENED_BYTES} bytes: a patient with more is
     * refused as too costly (search instead, or export).
     */
    List<ClinicalRecords.Opened> read(String patientId, Set<Category> categories) {
        List<ClinicalRecords.Opened> all = readAtMost(patientId, categories, MAX_OPENED);
        if (all == null) {
            throw FhirException.tooCostly(tooMany(categories) + ": read them with a search (newest first, paged) or a bulk "
                    + "export");
        }
        return all;
    }

    /**
     * {@link #read}, or null if the patient has more than {@code max} such records or more than
     * {@value #MAX_OPENED_BYTES} bytes of them (no more than a page beyond is opened).
     */
    private List<ClinicalRecords.Opened> readAtMost(String patientId, Set<Category> categories, int max) {
        List<ClinicalRecords.Opened> all = new ArrayList<>();
        long[] bytes = {0};
        return pages(patientId, categories, p -> {
            all.addAll(p.records());
            p.records().forEach(o -> bytes[0] += o.record().size());
            return all.size() <= max && bytes[0] <= MAX_OPENED_BYTES;
        }) ? all : null;
    }

    private static String tooMany(Set<Category> categories) {
        return "the patient has more than " + MAX_OPENED + " records (or " + MAX_OPENED_BYTES / (1024 * 1024) + " MiB) of "
                + names(categories);
    }

    /**
     * Every record of a patient {@link #read} would return, handed to {@code each} a page at a time, however many
     * there are: only one page is open at once (what a bulk export reads).
     */
    void forEach(String patientId, Set<Category> categories, Consumer<ClinicalRecords.Opened> each) {
        pages(patientId, categories, p -> {
            p.records().forEach(each);
            return true;
        });
    }

    /** Reads a patient's pages, newest first, while {@code more} accepts each: true if it read them all. */
    private boolean pages(String patientId, Set<Category> categories, Predicate<ClinicalRecords.OpenedPage> more) {
        String after = null;
        do {
            ClinicalRecords.OpenedPage p = page(patientId, categories, after);
            if (!more.test(p)) {
                return false;
            }
            after = p.next();
        } while (after != null);
        return true;
    }

    /** One page of a patient's records as {@link #read} reads them, newest first after the record {@code after} (null: the newest). */
    private ClinicalRecords.OpenedPage page(String patientId, Set<Category> categories, String after) {
        ClinicalRecords.PageQuery q = new ClinicalRecords.PageQuery(categories, Long.MIN_VALUE, Long.MAX_VALUE, after, PAGE);
        if (request.is(Role.PRACTITIONER)) {
            return FhirRequest.refusedAsForbidden(() -> {
                var chart = request.practitioners().chart(patientId, request.reason(), categories, q);
                return new ClinicalRecords.OpenedPage(chart.records(), chart.next());
            });
        }
        if (request.is(Role.PATIENT)) {
            return FhirRequest.refusedAsForbidden(() -> request.patients().record(patientId, q));
        }
        throw FhirException.forbidden("administrators and billing staff do not read clinical records (billing uses the "
                + "SOAP billing service under the patient's billing consent)");
    }

    /**
     * A patient's records of one type, by {@code _id}, {@code _lastUpdated} and what the base specification
     * searches in that type's content ({@code code}, {@code category}, {@code status}, {@code clinical-status},
     * {@code date}; {@link Search#content}), newest committed first or in the {@code _sort} order, as a page of
     * results. A patient with up to {@value #MAX_OPENED} records of the type's categories is searched whole (a
     * total, next and previous links); beyond that the search pages forward from the newest, one page of records
     * opened at a time and at most {@value #MAX_SCANNED} read per answer (next links, no total), and {@code _sort}
     * is refused as too costly.
     */
    org.hl7.fhir.r4.model.Bundle search(String type, MultivaluedMap<String, String> q) {
        requireRecordType(type);
        List<String> allowed = new ArrayList<>(List.of("patient", "subject", "_id", "_lastUpdated", "_sort", "_include",
                "_revinclude"));
        for (String name : Search.contentOf(type)) {
            allowed.add(name);
            allowed.add(name + Search.MISSING);
        }
        Search.allow(q, allowed.toArray(String[]::new));
        String patient = Search.patient(request, Search.first(q, "patient", q.getFirst("subject")));
        String id = q.getFirst("_id");
        Predicate<Long> updated = Search.dates(q.get("_lastUpdated"));
        Predicate<Resource> content = Search.content(type, q);
        Comparator<Resource> order = Search.sort(type, q.getFirst("_sort"));
        Predicate<ClinicalRecords.Opened> matches = o -> !o.record().erased() && Resources.typeOf(o).equals(type)
                && (id == null || o.record().id().equals(id)) && updated.test(o.record().createdAt());
        Set<Category> categories = RecordTypes.categoriesOf(type);
        String forward = q.getFirst(Search.FORWARD);
        List<ClinicalRecords.Opened> all = forward != null ? null : readAtMost(patient, categories, MAX_OPENED);
        if (all != null) {
            List<Resource> found = all.stream().filter(matches).map(o -> (Resource) Resources.resource(o)).filter(content).toList();
            return Search.page(order == null ? found : found.stream().sorted(order).toList(), request);
        }
        if (order != null) {
            throw FhirException.tooCostly(tooMany(categories) + ": _sort is available up to that many; search without "
                    + "_sort (newest first, paged)");
        }
        // Forward from the last record the previous page read (none: the newest), a page of records at a time.
        if (forward != null && !Ids.RECORD_ID.matcher(forward).matches()) {
            throw FhirException.invalid(Search.FORWARD + " is the id of a record (from a next link)");
        }
        int count = Search.count(q);
        List<Resource> window = new ArrayList<>();
        String after = forward;
        int scanned = 0;
        while (window.size() < count && scanned < MAX_SCANNED) {
            ClinicalRecords.OpenedPage p = page(patient, categories, after);
            for (ClinicalRecords.Opened o : p.records()) {
                scanned++;
                after = o.record().id();
                if (matches.test(o)) {
                    Resource r = Resources.resource(o);
                    if (content.test(r)) {
                        window.add(r);
                        if (window.size() == count) {
                            break;
                        }
                    }
                }
            }
            if (p.next() == null && (p.records().isEmpty() || after.equals(p.records().get(p.records().size() - 1).record().id()))) {
                after = null; // read to the oldest record
                break;
            }
        }
        return Search.forward(window, after, request);
    }

    /** Adds to a page of a search of {@code type} the records its {@code _include} and {@code _revinclude} name. */
    void include(String type, MultivaluedMap<String, String> q, org.hl7.fhir.r4.model.Bundle page) {
        String patient = Search.patient(request, Search.first(q, "patient", q.getFirst("subject")));
        List<Resource> matches = page.getEntry().stream().map(org.hl7.fhir.r4.model.Bundle.BundleEntryComponent::getResource).toList();
        for (Resource r : Includes.of(this, patient, type, matches, q)) {
            page.addEntry().setFullUrl(request.base() + "/" + r.fhirType() + "/" + r.getIdElement().getIdPart()).setResource(r)
                    .getSearch().setMode(org.hl7.fhir.r4.model.Bundle.SearchEntryMode.INCLUDE);
        }
    }

    /**
     * Writes one (validated) resource as a record of the patient it is about; the validator's warnings go back
     * as an OperationOutcome when the sender asks for one ({@code Prefer: return=OperationOutcome}).
     */
    Response create(Resource resource, List<SingleValidationMessage> warnings) {
        String type = resource.fhirType();
        requireRecordType(type);
        if (RecordTypes.isReferenceData(type)) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "a " + type + " is kept as reference data of the patient "
                    + "whose records point at it: send it in that patient's transaction bundle");
        }
        String patient = patientOf(RecordTypes.subjectOf(resource), type);
        RecordService.Added added = request.records().addAll(patient, List.of(Resources.draft(resource))).get(0);
        Resource created = resource.copy();
        created.setId(type + "/" + added.recordId());
        created.getMeta().setVersionId("1").setLastUpdated(new Date());
        return request.created(created, added.committed().height(), warnings);
    }

    /** Where a record was committed, as a Provenance (a Provenance a bundle brought is read as itself). */
    Resource provenance(String recordId) {
        ClinicalRecords.Opened o = recordOf(null, recordId);
        if (Resources.typeOf(o).equals("Provenance")) {
            return Resources.resource(o);
        }
        return provenance(Resources.typeOf(o), o.record().author(), o.record().author().equals(o.record().patient()),
                request.records().receipt(recordId));
    }

    /** Provenance by {@code target=<type>/<record id>}. */
    List<Resource> searchProvenance(MultivaluedMap<String, String> q) {
        Search.allow(q, "target");
        String target = q.getFirst("target");
        if (target == null || !target.contains("/")) {
            throw FhirException.invalid("search Provenance by target=<type>/<record id>");
        }
        return List.of(provenance(target.substring(target.lastIndexOf('/') + 1)));
    }

    private static String patientOf(Reference subject, String type) {
        String ref = subject == null ? null : subject.getReference();
        if (ref == null || !ref.startsWith("Patient/") || ref.length() == "Patient/".length()) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "a " + type + " must refer to its patient as Patient/<patient id>");
        }
        return ref.substring("Patient/".length());
    }

    static void requireRecordType(String type) {
        if (!RecordTypes.isRecordType(type)) {
            throw FhirException.notFound("resource type " + type + " is not supported here; see /fhir/r4/metadata");
        }
    }

    /** Where a record is on chain: its block and transaction, and whether this replica verified the receipt. */
    static Provenance provenance(String type, String author, boolean authorIsPatient, ClinicalRecords.RecordReceipt r) {
        Provenance p = new Provenance();
        p.setId("Provenance/" + r.recordId());
        p.addTarget(new Reference(type + "/" + r.recordId()));
        p.setRecorded(new Date(r.committedAt()));
        p.setActivity(Resources.concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE"));
        p.addAgent().setType(Resources.concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author"))
                .setWho(new Reference((authorIsPatient ? "Patient/" : "Practitioner/") + author));
        String verdict = r.verified() ? "receipt verified by this replica (Merkle proof and commit certificate)"
                : "receipt not verified: " + r.problem();
        p.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(new Reference()
                .setIdentifier(new Identifier().setSystem(Resources.TRANSACTION_SYSTEM).setValue(r.transactionId()))
                .setDisplay("transaction " + r.index() + " of block " + r.height() + "; " + verdict));
        p.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(new Reference()
                .setIdentifier(new Identifier().setSystem(Resources.BLOCK_SYSTEM).setValue(String.valueOf(r.height())))
                .setDisplay("block " + r.height() + " (hash " + r.blockHash() + "); receipt at /api/v1/receipts/" + r.height()
                        + "/" + r.index()));
        return p;
    }
}

package org.ehrledger.web.fhir;

import java.net.URI;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;

/**
 * The FHIR R4 facade's interactions: capabilities, read, search, create, consent withdrawal, transaction
 * bundles and {@code Patient/$everything}, on the same session beans as the portal and the JSON API.
 * Practitioners' reads are committed to the ledger as access events (with the {@code X-Access-Reason}
 * header as the reason) before anything is decrypted; a read without a basis is committed too, refused by
 * the contracts, and answered 403.
 */
@Path("")
@Produces({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML})
@Consumes({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML, MediaType.TEXT_XML})
public class FhirEndpoint {

    /** The header carrying a practitioner's reason for reading. */
    public static final String REASON_HEADER = "X-Access-Reason";
    /** The header carrying a registered patient's one-time enrolment code (once, on create; it does not sign in). */
    public static final String ENROLMENT_CODE_HEADER = "X-Enrolment-Code";
    /** The header carrying when that code expires (an ISO-8601 instant). */
    public static final String ENROLMENT_EXPIRES_HEADER = "X-Enrolment-Expires-At";
    static final String DEFAULT_REASON = "Treatment (FHIR R4 API)";
    private static final int DEFAULT_COUNT = 50;
    private static final int MAX_COUNT = 200;
    private static final Set<String> COMMON = Set.of("_format", "_pretty", "_count", "_cursor", "_summary");

    @Inject
    PatientService patients;

    @Inject
    PractitionerService practitioners;

    @Inject
    RecordService records;

    @Inject
    NetworkService network;

    @Context
    SecurityContext security;

    @Context
    UriInfo uri;

    @Context
    HttpHeaders headers;

    // ---- capabilities --------------------------------------------------------------------------

    @GET
    @Path("metadata")
    public CapabilityStatement metadata() {
        return Capability.statement(base());
    }

    // ---- read ---------------------------------------------------------------------------------

    @GET
    @Path("{type}/{id}")
    public Resource read(@PathParam("type") String type, @PathParam("id") String id) {
        if (!id.matches("[A-Za-z0-9\\-.]{1,64}")) {
            throw FhirException.invalid("a resource id is 1 to 64 letters, digits, '-' or '.'");
        }
        return switch (type) {
            case "Patient" -> patient(id);
            case "Practitioner" -> practitioner(id);
            case "Organization" -> network.organisations().stream().filter(m -> m.id().equals(id)).findFirst()
                    .map(LedgerResources::organisation).orElseThrow(() -> FhirException.notFound("no organisation " + id));
            case "Consent" -> myConsents().stream().filter(c -> c.getIdElement().getIdPart().equals(id)).findFirst()
                    .orElseThrow(() -> FhirException.notFound("you have no consent " + id));
            case "AuditEvent" -> myAccessLog().stream().filter(e -> e.getIdElement().getIdPart().equals(id)).findFirst()
                    .orElseThrow(() -> FhirException.notFound("your access log has no entry " + id));
            case "Provenance" -> provenance(id);
            default -> {
                requireRecordType(type);
                yield Resources.resource(recordOf(type, id));
            }
        };
    }

    private Patient patient(String id) {
        if (isSelf(id)) {
            return Resources.patient(id, demographics(patients.myRecord()));
        }
        return Resources.patient(id, demographics(readRecords(id, EnumSet.of(Category.DEMOGRAPHICS))));
    }

    private static ClinicalRecords.Opened demographics(List<ClinicalRecords.Opened> records) {
        return records.stream().filter(o -> o.record().category() == Category.DEMOGRAPHICS && !o.record().erased())
                .findFirst().orElse(null);
    }

    /** A practitioner; anyone else (a patient, other staff, nobody) is answered alike, so that no id is revealed. */
    private Resource practitioner(String id) {
        NetworkService.Person p;
        try {
            p = network.person(id);
        } catch (EhrException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            p = null;
        }
        if (p == null || !p.role().equals("PRACTITIONER")) {
            throw FhirException.notFound("no practitioner " + id);
        }
        return LedgerResources.practitioner(p);
    }

    /** One record, read (and audited) as its category; the type in the URL, if given, must be the record's. */
    private ClinicalRecords.Opened recordOf(String type, String id) {
        RecordService.Located at = records.locate(id);
        Category category = Category.valueOf(at.category());
        if (type != null && !Resources.categoriesOf(type).contains(category)) {
            throw FhirException.notFound("no " + type + " " + id);
        }
        List<ClinicalRecords.Opened> found = security.isUserInRole("PRACTITIONER")
                ? refusedAsForbidden(() -> practitioners.record(at.patientId(), id, category, reason()).records())
                : readRecords(at.patientId(), EnumSet.of(category));
        return found.stream().filter(o -> o.record().id().equals(id))
                .filter(o -> type == null || Resources.typeOf(o).equals(type)).findFirst()
                .orElseThrow(() -> FhirException.notFound("no " + (type == null ? "record" : type) + " " + id));
    }

    private Resource provenance(String id) {
        ClinicalRecords.Opened o = recordOf(null, id);
        return LedgerResources.provenance(Resources.typeOf(o), o.record().author(), o.record().author().equals(o.record().patient()),
                records.receipt(id));
    }

    /** The practitioner's stated reason for reading, or the default. */
    private String reason() {
        String reason = headers.getHeaderString(REASON_HEADER);
        return reason == null || reason.isBlank() ? DEFAULT_REASON : reason;
    }

    /** A read the contracts refused (recorded on chain) is a 403 here. */
    private static <T> T refusedAsForbidden(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (EhrException e) {
            throw e.code() == ErrorCode.REFUSED ? FhirException.forbidden(e.getMessage()) : e;
        }
    }

    /**
     * Records of a patient in the given categories, as the caller may read them: practitioners through an
     * audited chart read (refused and recorded without a basis), patients their own (another patient's id
     * is recorded and refused).
     */
    private List<ClinicalRecords.Opened> readRecords(String patientId, Set<Category> categories) {
        if (security.isUserInRole("PRACTITIONER")) {
            return refusedAsForbidden(() -> practitioners.chart(patientId, reason(), categories).records());
        }
        if (security.isUserInRole("PATIENT")) {
            return refusedAsForbidden(() -> patients.record(patientId).stream()
                    .filter(o -> categories.contains(o.record().category())).toList());
        }
        throw FhirException.forbidden("administrators and billing staff do not read clinical records (billing uses the "
                + "SOAP billing service under the patient's billing consent)");
    }

    // ---- search -------------------------------------------------------------------------------

    @GET
    @Path("{type}")
    public Bundle search(@PathParam("type") String type) {
        MultivaluedMap<String, String> q = uri.getQueryParameters();
        List<Resource> found = switch (type) {
            case "Patient" -> searchPatients(q);
            case "Practitioner" -> {
                allow(q, "_id", "identifier");
                String id = first(q, "_id", token(q.getFirst("identifier"), Resources.USER_SYSTEM));
                if (id != null) {
                    yield List.of(practitioner(id));
                }
                String org = network.person(security.getUserPrincipal().getName()).organisation();
                yield network.staffOf(org).stream().filter(p -> p.role().equals("PRACTITIONER"))
                        .map(p -> (Resource) LedgerResources.practitioner(p)).toList();
            }
            case "Organization" -> {
                allow(q, "_id", "identifier");
                String id = first(q, "_id", token(q.getFirst("identifier"), Resources.ORGANISATION_SYSTEM));
                yield network.organisations().stream().filter(m -> id == null || m.id().equals(id))
                        .map(m -> (Resource) LedgerResources.organisation(m)).toList();
            }
            case "Consent" -> {
                allow(q, "patient");
                requireSelfParam(q.getFirst("patient"), "consents");
                yield new ArrayList<>(myConsents());
            }
            case "AuditEvent" -> {
                allow(q, "patient");
                requireSelfParam(q.getFirst("patient"), "the access log");
                yield new ArrayList<>(myAccessLog());
            }
            case "Provenance" -> {
                allow(q, "target");
                String target = q.getFirst("target");
                if (target == null || !target.contains("/")) {
                    throw FhirException.invalid("search Provenance by target=<type>/<record id>");
                }
                yield List.of(provenance(target.substring(target.lastIndexOf('/') + 1)));
            }
            default -> searchRecords(type, q);
        };
        return page(found, q);
    }

    private List<Resource> searchRecords(String type, MultivaluedMap<String, String> q) {
        requireRecordType(type);
        allow(q, "patient", "subject", "_id", "_lastUpdated");
        String patient = patientParam(first(q, "patient", q.getFirst("subject")));
        String id = q.getFirst("_id");
        Predicate<Long> updated = Search.dates(q.get("_lastUpdated"));
        return readRecords(patient, Resources.categoriesOf(type)).stream()
                .filter(o -> !o.record().erased() && Resources.typeOf(o).equals(type))
                .filter(o -> id == null || o.record().id().equals(id))
                .filter(o -> updated.test(o.record().createdAt()))
                .map(o -> (Resource) Resources.resource(o)).toList();
    }

    private List<Resource> searchPatients(MultivaluedMap<String, String> q) {
        allow(q, "_id", "identifier", "name", "birthdate");
        String id = first(q, "_id", token(q.getFirst("identifier"), Resources.PATIENT_SYSTEM));
        if (id != null) {
            return List.of(patient(id));
        }
        if (security.isUserInRole("PATIENT")) {
            return List.of(patient(security.getUserPrincipal().getName()));
        }
        String name = q.getFirst("name");
        String born = q.getFirst("birthdate");
        if (!security.isUserInRole("PRACTITIONER") || name == null || born == null) {
            throw FhirException.invalid("search patients by _id, by identifier=" + Resources.PATIENT_SYSTEM
                    + "|<patient id>, or (practitioners) by name and birthdate together");
        }
        String date = born.startsWith("eq") ? born.substring(2) : born;
        return practitioners.search(name, date).stream().map(m -> {
            Patient p = new Patient();
            p.addName().setText(m.name());
            p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType(m.birthDate()));
            return (Resource) Resources.identified(p, m.patientId(), 0);
        }).toList();
    }

    private List<Consent> myConsents() {
        requirePatient("consents");
        String me = security.getUserPrincipal().getName();
        return patients.consents().stream().map(c -> LedgerResources.consent(me, c)).toList();
    }

    private List<org.hl7.fhir.r4.model.AuditEvent> myAccessLog() {
        requirePatient("the access log");
        String me = security.getUserPrincipal().getName();
        List<PatientService.Access> log = patients.accessLog();
        List<org.hl7.fhir.r4.model.AuditEvent> out = new ArrayList<>(log.size());
        for (int i = 0; i < log.size(); i++) {
            out.add(LedgerResources.audit(me, log.size() - i, log.get(i)));
        }
        return out;
    }

    /** A searchset page, newest first, with a {@code next} link while more match. */
    private Bundle page(List<Resource> all, MultivaluedMap<String, String> q) {
        int count = Search.count(q.getFirst("_count"), DEFAULT_COUNT, MAX_COUNT);
        String cursor = q.getFirst("_cursor");
        int from = 0;
        if (cursor != null) {
            from = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).getIdElement().getIdPart().equals(cursor)) {
                    from = i + 1;
                }
            }
            if (from < 0) {
                throw FhirException.invalid("the _cursor is not in these results any more; search again");
            }
        }
        List<Resource> page = all.subList(Math.min(from, all.size()), Math.min(from + count, all.size()));
        Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET).setTotal(all.size());
        b.setId(java.util.UUID.randomUUID().toString());
        b.getMeta().setLastUpdated(new Date());
        b.addLink().setRelation("self").setUrl(uri.getRequestUri().toString());
        if (from + count < all.size()) {
            b.addLink().setRelation("next").setUrl(uri.getRequestUriBuilder().replaceQueryParam("_cursor",
                    page.get(page.size() - 1).getIdElement().getIdPart()).build().toString());
        }
        for (Resource r : page) {
            b.addEntry().setFullUrl(base() + "/" + r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart())
                    .setResource(r).getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        return b;
    }

    // ---- $everything --------------------------------------------------------------------------

    @GET
    @Path("Patient/{id}/$everything")
    public Bundle everything(@PathParam("id") String id) {
        MultivaluedMap<String, String> q = uri.getQueryParameters();
        allow(q);
        List<ClinicalRecords.Opened> opened = isSelf(id) ? patients.myRecord()
                : readRecords(id, EnumSet.allOf(Category.class));
        List<Resource> all = new ArrayList<>();
        all.add(Resources.patient(id, demographics(opened)));
        for (ClinicalRecords.Opened o : opened) {
            if (!o.record().erased() && o.record().category() != Category.DEMOGRAPHICS) {
                all.add(Resources.resource(o));
            }
        }
        return page(all, q);
    }

    // ---- create -------------------------------------------------------------------------------

    @POST
    @Path("{type}")
    public Response create(@PathParam("type") String type, Resource resource) {
        if (resource == null) {
            throw FhirException.invalid("send the " + type + " to create as the body");
        }
        if (!resource.fhirType().equals(type)) {
            throw FhirException.invalid("the body is a " + resource.fhirType() + ", not a " + type);
        }
        if (!type.equals("Patient") && !type.equals("Consent")) {
            requireRecordType(type);
        }
        validate(resource);
        return switch (type) {
            case "Patient" -> registerPatient((Patient) resource);
            case "Consent" -> grantConsent((Consent) resource);
            default -> {
                String patient = patientOf(Resources.subjectOf(resource), type);
                RecordService.Added added = records.addAll(patient, List.of(Resources.draft(resource))).get(0);
                Resource created = resource.copy();
                created.setId(type + "/" + added.recordId());
                created.getMeta().setVersionId("1").setLastUpdated(new Date());
                yield created(created, added.committed().height());
            }
        };
    }

    private Response registerPatient(Patient p) {
        String name = p.hasName() ? (p.getNameFirstRep().hasText() ? p.getNameFirstRep().getText()
                : p.getNameFirstRep().getNameAsSingleString()) : null;
        String contact = p.getTelecom().stream().filter(t -> t.hasValue()).map(t -> t.getValue()).findFirst().orElse(null);
        if (name == null || name.isBlank() || !p.hasBirthDate() || contact == null) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "a patient is registered with a name, a birthDate and a telecom "
                    + "(phone or email) to reach them");
        }
        Patient kept = p.copy();
        kept.setIdElement(null);
        kept.setMeta(null);
        String json = Fhir.json(kept);
        PatientService.Registered r = patients.register(new PatientService.Demographics(name,
                p.getBirthDateElement().getValueAsString(), contact, null, json));
        String id = r.patient().patientId();
        Patient created = Resources.identified((Patient) Fhir.context().newJsonParser().parseResource(json), id,
                System.currentTimeMillis());
        return Response.fromResponse(created(created, r.patient().registration().height()))
                .header(ENROLMENT_CODE_HEADER, r.enrolment().code())
                .header(ENROLMENT_EXPIRES_HEADER, r.enrolment().expiresAtIso()).build();
    }

    private Response grantConsent(Consent c) {
        requirePatient("consents");
        String me = security.getUserPrincipal().getName();
        LedgerResources.Grant g = LedgerResources.grant(c, me);
        PatientService.Granted granted = patients.grantConsent(g.grantee(), g.categories(), g.expiresAt());
        Consent created = myConsents().stream().filter(x -> x.getIdElement().getIdPart().equals(granted.consentId())).findFirst()
                .orElseThrow(() -> new IllegalStateException("consent " + granted.consentId() + " committed but not found"));
        created.getMeta().setVersionId("1").setLastUpdated(new Date());
        return created(created, granted.committed().height());
    }

    private Response created(Resource r, long height) {
        String path = r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart();
        return Response.created(URI.create(base() + "/" + path + "/_history/1")).entity(r).tag(new jakarta.ws.rs.core.EntityTag("1", true))
                .lastModified(r.getMeta().getLastUpdated()).header("X-Ledger-Block", height).build();
    }

    // ---- delete (consent withdrawal) ----------------------------------------------------------

    @DELETE
    @Path("Consent/{id}")
    public Response withdraw(@PathParam("id") String id) {
        requirePatient("consents");
        var committed = patients.revokeConsent(id);
        return Response.ok(Outcomes.of(OperationOutcome.IssueSeverity.INFORMATION, OperationOutcome.IssueType.INFORMATIONAL,
                "WITHDRAWN", "consent " + id + " withdrawn in block " + committed.height())).build();
    }

    // ---- transaction --------------------------------------------------------------------------

    @POST
    public Response transaction(Resource body) {
        if (!(body instanceof Bundle bundle) || bundle.getType() != Bundle.BundleType.TRANSACTION) {
            throw FhirException.invalid("POST a Bundle of type transaction to the base URL");
        }
        if (bundle.getEntry().size() > RecordService.MAX_BATCH + 1) {
            throw new FhirException(413, OperationOutcome.IssueType.TOOLONG, ErrorCode.PAYLOAD_TOO_LARGE,
                    "a transaction holds at most " + RecordService.MAX_BATCH + " records and their patient; split it");
        }
        validate(bundle);
        Transaction t = Transaction.plan(bundle, security.isUserInRole("PATIENT") ? security.getUserPrincipal().getName() : null);
        if (!isSelf(t.patientId())) {
            practitioners.find(t.patientId()); // the patient exists (NOT_FOUND otherwise); nothing is read
        }
        List<RecordService.Added> added = t.drafts().isEmpty() ? List.of() : records.addAll(t.patientId(), t.drafts());
        return Response.ok(t.response(added)).build();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void validate(Resource resource) {
        var errors = Fhir.errors(resource);
        if (!errors.isEmpty()) {
            throw FhirException.invalidResource(errors);
        }
    }

    private String base() {
        String b = uri.getBaseUri().toString();
        return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    private boolean isSelf(String patientId) {
        return security.getUserPrincipal() != null && security.getUserPrincipal().getName().equals(patientId);
    }

    private void requirePatient(String what) {
        if (!security.isUserInRole("PATIENT")) {
            throw FhirException.forbidden("only the patient sees and manages " + what);
        }
    }

    /** Only the patient sees {@code what}, and a {@code patient} search parameter must name them. */
    private void requireSelfParam(String patientParam, String what) {
        requirePatient(what);
        if (patientParam != null && !isSelf(patientParam(patientParam))) {
            throw FhirException.forbidden("a patient sees only their own consents and access log");
        }
    }

    private String patientParam(String value) {
        if (value == null || value.isBlank()) {
            if (security.isUserInRole("PATIENT")) {
                return security.getUserPrincipal().getName();
            }
            throw FhirException.invalid("name the patient: patient=<patient id> (or subject=Patient/<patient id>)");
        }
        String v = value.strip();
        return v.startsWith("Patient/") ? v.substring("Patient/".length()) : v;
    }

    private static String patientOf(Reference subject, String type) {
        String ref = subject == null ? null : subject.getReference();
        if (ref == null || !ref.startsWith("Patient/") || ref.length() == "Patient/".length()) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "a " + type + " must refer to its patient as Patient/<patient id>");
        }
        return ref.substring("Patient/".length());
    }

    private static void requireRecordType(String type) {
        if (!Resources.isRecordType(type)) {
            throw FhirException.notFound("resource type " + type + " is not supported here; see /fhir/r4/metadata");
        }
    }

    private static void allow(MultivaluedMap<String, String> q, String... names) {
        for (String k : q.keySet()) {
            if (!COMMON.contains(k) && !List.of(names).contains(k)) {
                throw FhirException.invalid("unsupported search parameter " + k + (names.length == 0 ? ""
                        : "; supported: " + String.join(", ", names)));
            }
        }
    }

    private static String first(MultivaluedMap<String, String> q, String name, String otherwise) {
        String v = q.getFirst(name);
        return v == null || v.isBlank() ? otherwise : v.strip();
    }

    /** The value of a token search {@code system|value} with the given system (or a bare value). */
    private static String token(String token, String system) {
        if (token == null || token.isBlank()) {
            return null;
        }
        int bar = token.indexOf('|');
        if (bar < 0) {
            return token.strip();
        }
        if (!token.substring(0, bar).equals(system)) {
            throw FhirException.invalid("identifiers here have system " + system);
        }
        return token.substring(bar + 1).strip();
    }
}

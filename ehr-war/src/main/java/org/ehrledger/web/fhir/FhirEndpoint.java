package org.ehrledger.web.fhir;

import java.util.List;
import java.util.Set;

import jakarta.ejb.EJB;
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
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.service.Ids;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.ImportService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * The FHIR R4 facade's interactions (capabilities, read, search, create, consent withdrawal, transaction
 * bundles and NDJSON imports ({@link ImportJobs}), {@code Patient/$everything}, Bulk Data {@code $export} of patients and
 * of an organisation's group ({@link ExportJobs})), each handed to the family of its resource type: {@link Patients},
 * {@link Records} (with Provenance), {@link Consents} (with AuditEvent), the {@link Directory} (Practitioner,
 * Organization) and {@link Transactions}, on the same session beans as the portal and the JSON API.
 */
@Path("")
@Produces({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML})
@Consumes({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML, MediaType.TEXT_XML})
public class FhirEndpoint {

    @EJB
    PatientService patients;

    @EJB
    PractitionerService practitioners;

    @EJB
    RecordService records;

    @EJB
    NetworkService network;

    @Inject
    ExportJobs exports;

    @EJB
    ImportService imports;

    @Inject
    ImportJobs importJobs;

    @Context
    SecurityContext security;

    @Context
    UriInfo uri;

    @Context
    HttpHeaders headers;

    private FhirRequest request() {
        return new FhirRequest(security, uri, headers, patients, practitioners, records, network);
    }

    @GET
    @Path("metadata")
    public CapabilityStatement metadata() {
        return Capability.statement(request().base());
    }

    /** SMART App Launch discovery: where to authorize and get tokens, and what this server supports. */
    @GET
    @Path(".well-known/smart-configuration")
    @Produces(MediaType.APPLICATION_JSON)
    public jakarta.json.JsonObject smartConfiguration() {
        return org.ehrledger.web.smart.SmartConfiguration.of(request().base());
    }

    /** OpenID Connect discovery of the same authorization server (this FHIR base issues the ID tokens). */
    @GET
    @Path(".well-known/openid-configuration")
    @Produces(MediaType.APPLICATION_JSON)
    public jakarta.json.JsonObject openidConfiguration() {
        return org.ehrledger.web.smart.SmartConfiguration.openid(request().base());
    }

    @GET
    @Path("{type}/{id}")
    public Resource read(@PathParam("type") String type, @PathParam("id") String id) {
        if (!id.matches("[A-Za-z0-9\\-.]{1,64}")) {
            throw FhirException.invalid("a resource id is 1 to 64 letters, digits, '-' or '.'");
        }
        FhirRequest r = request();
        boolean record = Ids.RECORD_ID.matcher(id).matches();
        return switch (type) {
            case "Patient" -> new Patients(r).read(id);
            case "Practitioner" -> record ? new Records(r).read(type, id) : new Directory(r).practitioner(id);
            case "Organization" -> record ? new Records(r).read(type, id) : new Directory(r).organisation(id);
            case "Group" -> record ? new Records(r).read(type, id) : new Directory(r).group(id, java.util.EnumSet.noneOf(Category.class));
            case "Consent" -> new Consents(r).consent(id);
            case "AuditEvent" -> new Consents(r).auditEvent(id);
            case "Provenance" -> new Records(r).provenance(id);
            default -> new Records(r).read(type, id);
        };
    }

    @GET
    @Path("{type}")
    public Bundle search(@PathParam("type") String type) {
        FhirRequest r = request();
        MultivaluedMap<String, String> q = uri.getQueryParameters();
        // Practitioners, organisations and provenance a patient's records came with are found by naming the patient.
        boolean ofPatient = q.containsKey("patient") || q.containsKey("subject");
        Bundle page = switch (type) {
            case "Patient" -> Search.page(new Patients(r).search(q), r);
            case "Practitioner" -> ofPatient ? new Records(r).search(type, q) : Search.page(new Directory(r).searchPractitioners(q), r);
            case "Organization" -> ofPatient ? new Records(r).search(type, q) : Search.page(new Directory(r).searchOrganisations(q), r);
            case "Consent" -> Search.page(new Consents(r).searchConsents(q), r);
            case "AuditEvent" -> Search.page(new Consents(r).searchAccessLog(q), r);
            case "Provenance" -> ofPatient ? new Records(r).search(type, q) : Search.page(new Records(r).searchProvenance(q), r);
            default -> new Records(r).search(type, q);
        };
        if (RecordTypes.isRecordType(type) && (q.containsKey("_include") || q.containsKey("_revinclude"))) {
            new Records(r).include(type, q, page);
        }
        return page;
    }

    @GET
    @Path("Patient/{id}/$everything")
    public Bundle everything(@PathParam("id") String id) {
        return new Patients(request()).everything(id);
    }

    /** Where bulk exports' status and files are, under the facade's base. */
    static final String EXPORTS = "$export-jobs";
    /** The most patients one bulk export names. */
    static final int MAX_EXPORT_PATIENTS = 1_000;

    /**
     * Bulk Data kick-off for the patients the caller names and may read ({@code patient=}; a patient: themselves
     * when they name none): 202 with the status URL in {@code Content-Location}.
     */
    @GET
    @Path("Patient/$export")
    public Response export() {
        return kickOff(null);
    }

    /** Bulk Data kick-off for one patient's compartment. */
    @GET
    @Path("Patient/{id}/$export")
    public Response exportPatient(@PathParam("id") String id) {
        return kickOff(id);
    }

    /**
     * Bulk Data kick-off for a member organisation's group (the patients who consented to it): only for its
     * practitioners, and only when they read every member's asked categories under consent (403 otherwise, and
     * nothing is read or exported).
     */
    @GET
    @Path("Group/{id}/$export")
    public Response exportGroup(@PathParam("id") String id) {
        FhirRequest r = request();
        BulkExport.Parameters p = BulkExport.Parameters.of(headers.getHeaderString("Prefer"),
                headers.getHeaderString(HttpHeaders.ACCEPT), uri.getQueryParameters());
        if (!p.patients().isEmpty()) {
            throw FhirException.invalid("Group/{id}/$export exports every member of the group; name patients with Patient/$export?patient=");
        }
        Set<Category> required = p.requiredCategories();
        PractitionerService.OrganisationGroup group = new Directory(r).groupEntitled(id, required);
        if (group.patients().size() > MAX_EXPORT_PATIENTS) {
            throw FhirException.invalid("Group/" + id + " has more than " + MAX_EXPORT_PATIENTS + " members; export them by "
                    + "patient with Patient/$export?patient=");
        }
        return started(r, exports.start(r, uri.getRequestUri().toString(), p, group.patients(), required));
    }

    /** A kick-off's answer: 202 with the export's status URL. */
    private static Response started(FhirRequest r, ExportJobs.Job job) {
        return Response.accepted().header("Content-Location", r.base() + "/" + EXPORTS + "/" + job.id).build();
    }

    private Response kickOff(String patientId) {
        FhirRequest r = request();
        BulkExport.Parameters p = BulkExport.Parameters.of(headers.getHeaderString("Prefer"),
                headers.getHeaderString(HttpHeaders.ACCEPT), uri.getQueryParameters());
        if (!r.is(Role.PATIENT) && !r.is(Role.PRACTITIONER)) {
            throw FhirException.forbidden("only patients (their own record) and practitioners (under consent, break-glass or "
                    + "emergency access) export clinical records");
        }
        List<String> patientIds;
        if (patientId != null) {
            if (!p.patients().isEmpty()) {
                throw FhirException.invalid("Patient/{id}/$export exports that patient; name patients with Patient/$export?patient=");
            }
            patientIds = List.of(patientId);
        } else if (!p.patients().isEmpty()) {
            patientIds = p.patients().stream().map(id -> id.startsWith("Patient/") ? id.substring("Patient/".length()) : id)
                    .distinct().toList();
        } else if (r.is(Role.PATIENT)) {
            patientIds = List.of(r.caller());
        } else {
            throw FhirException.invalid("name the patients to export (patient=<id>,<id>) or use Patient/{id}/$export");
        }
        if (patientIds.size() > MAX_EXPORT_PATIENTS) {
            throw FhirException.invalid("one export names at most " + MAX_EXPORT_PATIENTS + " patients");
        }
        return started(r, exports.start(r, uri.getRequestUri().toString(), p, patientIds));
    }

    /** Bulk Data status: 202 with progress while it runs, 200 with the output manifest when done. */
    @GET
    @Path(EXPORTS + "/{job}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response exportStatus(@PathParam("job") String id) {
        FhirRequest r = request();
        return exports.status(id, r.caller(), r.base());
    }

    /** Cancels a bulk export and removes its files: 202. */
    @DELETE
    @Path(EXPORTS + "/{job}")
    public Response exportCancel(@PathParam("job") String id) {
        exports.cancel(id, request().caller());
        return Response.accepted().build();
    }

    /** One NDJSON file of a finished bulk export, for the caller who started it. */
    @GET
    @Path(EXPORTS + "/{job}/{type}.ndjson")
    @Produces({BulkExport.NDJSON, "application/ndjson", MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    public Response exportFile(@PathParam("job") String id, @PathParam("type") String type) {
        ExportJobs.Job job = exports.of(id, request().caller());
        if (!job.has(type)) {
            throw FhirException.notFound("export " + id + " has no finished " + type + " file");
        }
        return Response.ok((StreamingOutput) out -> job.write(type, out), BulkExport.NDJSON).build();
    }

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
            Records.requireRecordType(type);
        }
        Fhir.Findings findings = validate(resource);
        FhirRequest r = request();
        return switch (type) {
            case "Patient" -> new Patients(r).register((Patient) resource);
            case "Consent" -> new Consents(r).grant((Consent) resource);
            default -> new Records(r).create(resource, findings.warnings());
        };
    }

    @DELETE
    @Path("Consent/{id}")
    public Response withdraw(@PathParam("id") String id) {
        return new Consents(request()).withdraw(id);
    }

    /** A transaction (or batch) Bundle: 200 with the transaction-response, or 202 and a status URL with {@code Prefer: respond-async}. */
    @POST
    public Response transaction(Resource body) {
        return new Transactions(request(), imports).commit(body, headers.getHeaderString("Prefer"), importJobs);
    }

    /**
     * Bulk import of one patient's resources as NDJSON (one resource a line): committed exactly as a transaction
     * bundle of them, all or nothing and once; 200 with the transaction-response, or 202 and a status URL with
     * {@code Prefer: respond-async}. A bad line is named by its number.
     */
    @POST
    @Path("Patient/{id}/$import")
    @Consumes({NdjsonImport.NDJSON, "application/ndjson", "application/x-ndjson"})
    public Response importNdjson(@PathParam("id") String id, java.io.InputStream body) throws java.io.IOException {
        byte[] ndjson = FhirProviders.Reader.bounded(body, FhirProviders.MAX_BUNDLE_BYTES);
        return new Transactions(request(), imports).commitLines(id, ndjson, headers.getHeaderString("Prefer"), importJobs);
    }

    /** Where asynchronous imports answer: {@code <base>/$import-jobs/<job>}. */
    static final String IMPORTS = "$import-jobs";

    /**
     * An asynchronous import's status: 202 with {@code X-Progress} (entries and percent) while it runs; when done
     * 200 with the transaction-response, or its error's status with an OperationOutcome.
     */
    @GET
    @Path(IMPORTS + "/{job}")
    public Response importStatus(@PathParam("job") String id) {
        return importJobs.status(id, request().caller());
    }

    /** Cancels a running import (aborted on the ledger: nothing of it becomes visible) or forgets a finished one: 202. */
    @DELETE
    @Path(IMPORTS + "/{job}")
    public Response importCancel(@PathParam("job") String id) {
        importJobs.cancel(id, request().caller());
        return Response.accepted().build();
    }

    /**
     * Refuses a resource that does not validate against the base R4 specification (422, every error listed);
     * otherwise what the validator found, with the warnings that go back to the sender.
     */
    static Fhir.Findings validate(Resource resource) {
        Fhir.Findings findings = Fhir.validate(resource);
        if (!findings.errors().isEmpty()) {
            throw FhirException.invalidResource(findings.errors());
        }
        return findings;
    }
}

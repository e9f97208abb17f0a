package org.ehrledger.web.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.ReceiptIssuer;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Patients and everything of one patient: sign-up, records, prescriptions, consents, the access log and
 * break-glass access. Who may do what is decided by the session beans and the contracts; every write
 * answers with its committed receipt.
 */
@ApplicationScoped
@Path("patients")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class PatientsResource {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @EJB
    PatientService patients;

    @EJB
    PractitionerService practitioners;

    @EJB
    RecordService records;

    @Inject
    ReceiptIssuer receipts;

    @Inject
    HttpServletRequest request;

    /** Sign-up details. */
    public record NewPatient(String name, String birthDate, String contact, String nationalId, String password) {
    }

    /** Patient self-service sign-up (no authentication: this creates the credentials). */
    @POST
    public Response signUp(NewPatient p) {
        Params.required(p, "{\"name\", \"birthDate\", \"contact\", \"nationalId\" (optional), \"password\"}");
        PatientService.SignedUp s = patients.signUp(new PatientService.Demographics(p.name(), p.birthDate(), p.contact(),
                p.nationalId()), p.password() == null ? null : p.password().toCharArray());
        return Response.status(201).entity(JSON.createObjectBuilder().add("patientId", s.patientId())
                .add("organisation", s.organisation()).add("registration", Receipts.of(s.registration(), receipts)).build())
                .build();
    }

    /**
     * A patient as the caller may see them: the patient themselves get their personal details; a
     * practitioner gets the patient's organisation and what they may read now (nothing is read).
     */
    @GET
    @Path("{patientId}")
    public Object patient(@PathParam("patientId") String patientId) {
        if (isSelf(patientId)) {
            var b = JSON.createObjectBuilder().add("patientId", patientId);
            patients.myRecord(new ClinicalRecords.PageQuery(EnumSet.of(Category.DEMOGRAPHICS), Long.MIN_VALUE, Long.MAX_VALUE,
                    null, 1)).records().stream().findFirst().ifPresent(o -> o.fields().forEach(b::add));
            return b.build();
        }
        return practitioners.find(patientId);
    }

    /**
     * The patient's records, newest first, filtered by category and time, a page at a time. A
     * practitioner states a {@code reason}: the reads are committed to the ledger before anything is sent.
     */
    @GET
    @Path("{patientId}/records")
    public Page<JsonObject> records(@PathParam("patientId") String patientId, @QueryParam("category") String category,
                                    @QueryParam("from") String from, @QueryParam("to") String to,
                                    @QueryParam("reason") String reason, @QueryParam("cursor") String cursor,
                                    @QueryParam("limit") Integer limit) {
        String wanted = category == null || category.isBlank() ? null : category.strip().toUpperCase(Locale.ROOT);
        Set<Category> shown = wanted == null ? EnumSet.allOf(Category.class)
                : Arrays.stream(Category.values()).filter(c -> c.name().equals(wanted)).collect(Collectors.toSet());
        ClinicalRecords.PageQuery page = new ClinicalRecords.PageQuery(shown, Params.instant(from, "from", false),
                Params.instant(to, "to", true), cursor == null || cursor.isBlank() ? null : Page.key(cursor),
                limit == null ? 50 : limit);
        List<ClinicalRecords.Opened> opened;
        String next;
        if (request.isUserInRole(Role.PRACTITIONER.name())) {
            // Every category is read (and recorded) as before; only the page's records are decrypted.
            PractitionerService.Chart chart = practitioners.chart(patientId, reason, EnumSet.allOf(Category.class), page);
            opened = chart.records();
            next = chart.next();
        } else {
            ClinicalRecords.OpenedPage mine = patients.record(patientId, page);
            opened = mine.records();
            next = mine.next();
        }
        return new Page<>(opened.stream().map(PatientsResource::json).toList(), next == null ? null : Page.cursor(next));
    }

    static JsonObject json(ClinicalRecords.Opened o) {
        var fields = JSON.createObjectBuilder();
        o.fields().forEach(fields::add);
        return JSON.createObjectBuilder().add("recordId", o.record().id()).add("patientId", o.record().patient())
                .add("category", o.record().category().name()).add("author", o.record().author())
                .add("createdAt", Instant.ofEpochMilli(o.record().createdAt()).toString())
                .add("contentHash", o.record().contentHash().hex()).add("erased", o.record().erased())
                .add("content", fields).build();
    }

    /** A record to add: a category, a title, a text and optional structured details. */
    public record NewRecord(String category, String title, String text, Map<String, String> details) {
    }

    /** Adds a record (practitioners under consent, break-glass or the emergency state; the patient themselves). */
    @POST
    @Path("{patientId}/records")
    public Response addRecord(@PathParam("patientId") String patientId, NewRecord r) {
        Params.required(r, "{\"category\": \"NOTE\", \"title\": ..., \"text\": ..., \"details\": {...} (optional)}");
        RecordService.Added a = records.addRecord(patientId, r.category(), r.title(), r.text(), r.details());
        return created(a);
    }

    /** A prescription. */
    public record NewPrescription(String drug, String dose, String route, String frequency, String duration,
                                  String instructions) {
    }

    /** Prescribes a medicine (practitioners). */
    @POST
    @Path("{patientId}/prescriptions")
    public Response prescribe(@PathParam("patientId") String patientId, NewPrescription p) {
        Params.required(p, "{\"drug\", \"dose\", \"route\", \"frequency\", \"duration\", \"instructions\" (optional)}");
        return created(records.prescribe(patientId, p.drug(), p.dose(), p.route(), p.frequency(), p.duration(),
                p.instructions()));
    }

    private Response created(RecordService.Added a) {
        return Response.status(201).entity(JSON.createObjectBuilder().add("recordId", a.recordId())
                .add("patientId", a.patient()).add("category", a.category()).add("committed", Receipts.of(a.committed(), receipts))
                .build()).build();
    }

    /** The patient's consents (the patient). */
    @GET
    @Path("{patientId}/consents")
    public List<PatientService.ConsentView> consents(@PathParam("patientId") String patientId) {
        requireSelf(patientId);
        return patients.consents();
    }

    /** A consent to grant. */
    public record NewConsent(String grantee, List<String> categories, Long expiresAt) {
    }

    /** Grants consent (the patient, for their own record only). */
    @POST
    @Path("{patientId}/consents")
    public Response grant(@PathParam("patientId") String patientId, NewConsent c) {
        requireSelf(patientId);
        Params.required(c, "{\"grantee\": ..., \"categories\": [...], \"expiresAt\": epochMillis (optional)}");
        PatientService.Granted g = patients.grantConsent(c.grantee(), c.categories(), c.expiresAt() == null ? 0 : c.expiresAt());
        return Response.status(201).entity(JSON.createObjectBuilder().add("consentId", g.consentId())
                .add("committed", Receipts.of(g.committed(), receipts)).build()).build();
    }

    /** Revokes a consent (the patient). */
    @DELETE
    @Path("{patientId}/consents/{consentId}")
    public JsonObject revoke(@PathParam("patientId") String patientId, @PathParam("consentId") String consentId) {
        requireSelf(patientId);
        return JSON.createObjectBuilder().add("consentId", consentId)
                .add("committed", Receipts.of(patients.revokeConsent(consentId), receipts)).build();
    }

    /** Who read the patient's record, newest first (the patient), filtered by category and time. */
    @GET
    @Path("{patientId}/access-log")
    public Page<JsonObject> accessLog(@PathParam("patientId") String patientId, @QueryParam("category") String category,
                                      @QueryParam("from") String from, @QueryParam("to") String to,
                                      @QueryParam("cursor") String cursor, @QueryParam("limit") Integer limit) {
        requireSelf(patientId);
        String wanted = category == null || category.isBlank() ? null : category.strip().toUpperCase(Locale.ROOT);
        long since = Params.instant(from, "from", false);
        long until = Params.instant(to, "to", true);
        List<PatientService.Access> all = patients.accessLog();
        List<JsonObject> log = new java.util.ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            PatientService.Access a = all.get(i);
            if ((wanted == null || a.category().equals(wanted)) && a.at() >= since && a.at() < until) {
                // The position from the oldest entry never changes: the log only grows at the front.
                log.add(JSON.createObjectBuilder().add("entry", all.size() - i).add("at", Instant.ofEpochMilli(a.at()).toString())
                        .add("reader", a.reader()).add("readerName", a.readerName()).add("organisation", a.organisation())
                        .add("category", a.category()).add("basis", a.basis()).add("reason", a.reason())
                        .add("readerRegisteredBy", a.registeredBy()).add("readerConfirmedBy", a.confirmedBy()).build());
            }
        }
        return Page.of(log, o -> Integer.toString(o.getInt("entry")), cursor, limit);
    }

    /** Break-glass access to open. */
    public record BreakGlass(String reason, Long minutes) {
    }

    /** Opens break-glass access to the patient (practitioners): time-limited, reasoned, shown to the patient. */
    @POST
    @Path("{patientId}/break-glass")
    public Response breakGlass(@PathParam("patientId") String patientId, BreakGlass g) {
        Params.required(g, "{\"reason\": \"at least 10 characters\", \"minutes\": 1..240}");
        PractitionerService.PatientFound p = practitioners.openBreakGlass(patientId, g.reason(),
                g.minutes() == null ? 60 : g.minutes());
        return Response.status(201).entity(JSON.createObjectBuilder().add("patientId", p.patientId())
                .add("until", Instant.ofEpochMilli(p.breakGlassUntil()).toString()).build()).build();
    }

    private boolean isSelf(String patientId) {
        return request.getUserPrincipal() != null && request.getUserPrincipal().getName().equals(patientId);
    }

    /** A patient manages only their own consents and log; the service acts as the caller regardless. */
    private void requireSelf(String patientId) {
        if (request.getUserPrincipal() == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions)");
        }
        if (!isSelf(patientId)) {
            throw new EhrException(ErrorCode.FORBIDDEN, "only the patient manages their consents and sees their access log");
        }
    }
}

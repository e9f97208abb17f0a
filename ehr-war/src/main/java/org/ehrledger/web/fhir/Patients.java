package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Patients: read (their demographics record, under the same rules as any record), search, registration by
 * the registration desk, and {@code Patient/$everything}.
 */
final class Patients {

    /** The header carrying a registered patient's one-time enrolment code (once, on create; it does not sign in). */
    static final String ENROLMENT_CODE_HEADER = "X-Enrolment-Code";
    /** The header carrying when that code expires (an ISO-8601 instant). */
    static final String ENROLMENT_EXPIRES_HEADER = "X-Enrolment-Expires-At";

    private final FhirRequest request;

    Patients(FhirRequest request) {
        this.request = request;
    }

    Patient read(String id) {
        if (request.isSelf(id)) {
            return Resources.patient(id, demographics(request.patients().myRecord()));
        }
        return Resources.patient(id, demographics(new Records(request).read(id, EnumSet.of(Category.DEMOGRAPHICS))));
    }

    private static ClinicalRecords.Opened demographics(List<ClinicalRecords.Opened> records) {
        return records.stream().filter(o -> o.record().category() == Category.DEMOGRAPHICS && !o.record().erased())
                .findFirst().orElse(null);
    }

    /** By id or identifier; a patient finds themselves; a practitioner by name and birth date together. */
    List<Resource> search(MultivaluedMap<String, String> q) {
        Search.allow(q, "_id", "identifier", "name", "birthdate");
        String id = Search.first(q, "_id", Search.token(q.getFirst("identifier"), Resources.PATIENT_SYSTEM));
        if (id != null) {
            return List.of(read(id));
        }
        if (request.is(Role.PATIENT)) {
            return List.of(read(request.caller()));
        }
        String name = q.getFirst("name");
        String born = q.getFirst("birthdate");
        if (!request.is(Role.PRACTITIONER) || name == null || born == null) {
            throw FhirException.invalid("search patients by _id, by identifier=" + Resources.PATIENT_SYSTEM
                    + "|<patient id>, or (practitioners) by name and birthdate together");
        }
        String date = born.startsWith("eq") ? born.substring(2) : born;
        return request.practitioners().search(name, date).stream().map(m -> {
            Patient p = new Patient();
            p.addName().setText(m.name());
            p.setBirthDateElement(new DateType(m.birthDate()));
            return (Resource) Resources.identified(p, m.patientId(), 0);
        }).toList();
    }

    /** The patient and every record the caller may read, newest first, paged. */
    Bundle everything(String id) {
        Search.allow(request.uri().getQueryParameters());
        return Search.page(compartment(id, EnumSet.allOf(Category.class)), request);
    }

    /**
     * The patient and their records in these categories as the caller may read them (read and audited as any
     * FHIR read), each as a read of it returns it: what {@code $everything} and a bulk export hold.
     */
    List<Resource> compartment(String id, Set<Category> categories) {
        List<ClinicalRecords.Opened> opened = new Records(request).read(id, categories);
        List<Resource> all = new ArrayList<>();
        all.add(Resources.patient(id, demographics(opened)));
        opened.stream().filter(o -> held(o, categories)).forEach(o -> all.add(Resources.resource(o)));
        return all;
    }

    /**
     * The same resources as {@link #compartment}, however many, handed to {@code each} as they are read a page at
     * a time (the Patient when its newest demographics record is read, or last if it has none).
     */
    void compartment(String id, Set<Category> categories, Consumer<Resource> each) {
        boolean[] patient = {false};
        new Records(request).forEach(id, categories, o -> {
            if (!patient[0] && o.record().category() == Category.DEMOGRAPHICS && !o.record().erased()) {
                patient[0] = true;
                each.accept(Resources.patient(id, o));
            }
            if (held(o, categories)) {
                each.accept(Resources.resource(o));
            }
        });
        if (!patient[0]) {
            each.accept(Resources.patient(id, null));
        }
    }

    /** Whether a record read is one of the compartment's resources (the demographics record is the Patient). */
    private static boolean held(ClinicalRecords.Opened o, Set<Category> categories) {
        return !o.record().erased() && o.record().category() != Category.DEMOGRAPHICS && categories.contains(o.record().category());
    }

    /** Registers a patient (the registration desk): 201 with the patient and their one-time enrolment code. */
    Response register(Patient p) {
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
        PatientService.Registered r = request.patients().register(new PatientService.Demographics(name,
                p.getBirthDateElement().getValueAsString(), contact, null, json));
        String id = r.patient().patientId();
        Patient created = Resources.identified((Patient) Fhir.context().newJsonParser().parseResource(json), id,
                System.currentTimeMillis());
        return Response.fromResponse(request.created(created, r.patient().registration().height()))
                .header(ENROLMENT_CODE_HEADER, r.enrolment().code())
                .header(ENROLMENT_EXPIRES_HEADER, r.enrolment().expiresAtIso()).build();
    }
}

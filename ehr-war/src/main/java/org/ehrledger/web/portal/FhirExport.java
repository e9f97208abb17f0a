package org.ehrledger.web.portal;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/**
 * A patient's decrypted record as an HL7 FHIR R4 {@code collection} Bundle: Patient from the demographics,
 * MedicationRequest, Observation, AllergyIntolerance, Condition, and DocumentReference for notes and
 * everything else. Each resource carries the record id as its identifier, so it can be traced to its
 * transaction on chain.
 */
final class FhirExport {

    private static final JsonBuilderFactory JSON = Json.createBuilderFactory(null);
    static final String IDENTIFIER_SYSTEM = "urn:ehr-ledger:record";

    private FhirExport() {
    }

    static String bundle(List<ClinicalRecords.Opened> records) {
        String patientUrl = "urn:uuid:" + UUID.randomUUID();
        JsonArrayBuilder entries = JSON.createArrayBuilder();
        String patientId = records.isEmpty() ? "" : records.get(0).record().patient();
        ClinicalRecords.Opened demographics = records.stream()
                .filter(o -> o.record().category().name().equals("DEMOGRAPHICS") && !o.record().erased()).findFirst().orElse(null);
        entries.add(entry(patientUrl, patient(patientId, demographics)));
        for (ClinicalRecords.Opened o : records) {
            if (o == demographics || o.record().erased() || o.record().category().name().equals("DEMOGRAPHICS")) {
                continue;
            }
            entries.add(entry("urn:uuid:" + UUID.randomUUID(), resource(o, patientUrl)));
        }
        return JSON.createObjectBuilder().add("resourceType", "Bundle").add("type", "collection")
                .add("timestamp", Instant.now().toString()).add("entry", entries).build().toString();
    }

    private static JsonObject entry(String fullUrl, JsonObject resource) {
        return JSON.createObjectBuilder().add("fullUrl", fullUrl).add("resource", resource).build();
    }

    private static JsonObject patient(String id, ClinicalRecords.Opened d) {
        JsonObjectBuilder p = JSON.createObjectBuilder().add("resourceType", "Patient")
                .add("identifier", JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                        .add("system", "urn:ehr-ledger:patient").add("value", id)));
        if (d != null) {
            if (!d.field("name").isEmpty()) {
                p.add("name", JSON.createArrayBuilder().add(JSON.createObjectBuilder().add("text", d.field("name"))));
            }
            if (!d.field("contact").isEmpty()) {
                p.add("telecom", JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                        .add("system", d.field("contact").contains("@") ? "email" : "phone").add("value", d.field("contact"))));
            }
            if (!d.field("birthDate").isEmpty()) {
                p.add("birthDate", d.field("birthDate"));
            }
        }
        return p.build();
    }

    private static JsonObject resource(ClinicalRecords.Opened o, String patientUrl) {
        ClinicalRecord r = o.record();
        JsonObject subject = JSON.createObjectBuilder().add("reference", patientUrl).build();
        JsonArrayBuilder identifier = JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                .add("system", IDENTIFIER_SYSTEM).add("value", r.id()));
        String when = Instant.ofEpochMilli(r.createdAt()).toString();
        JsonObject code = JSON.createObjectBuilder().add("text", o.field("title")).build();
        return switch (r.category()) {
            case PRESCRIPTION -> JSON.createObjectBuilder().add("resourceType", "MedicationRequest").add("identifier", identifier)
                    .add("status", "active").add("intent", "order").add("medicationCodeableConcept", code)
                    .add("subject", subject).add("authoredOn", when)
                    .add("dosageInstruction", JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                            .add("text", String.join(", ", o.field("dose"), o.field("route"), o.field("frequency"),
                                    "for " + o.field("duration")) + (o.field("text").isEmpty() ? "" : ". " + o.field("text")))
                            .add("route", JSON.createObjectBuilder().add("text", o.field("route")))))
                    .build();
            case OBSERVATION -> {
                JsonObjectBuilder b = JSON.createObjectBuilder().add("resourceType", "Observation").add("identifier", identifier)
                        .add("status", "final").add("code", code).add("subject", subject).add("effectiveDateTime", when);
                String value = (o.field("value") + " " + o.field("unit")).strip();
                b.add("valueString", value.isEmpty() ? o.field("text") : value);
                if (!o.field("text").isEmpty() && !value.isEmpty()) {
                    b.add("note", JSON.createArrayBuilder().add(JSON.createObjectBuilder().add("text", o.field("text"))));
                }
                yield b.build();
            }
            case ALLERGY -> {
                JsonObjectBuilder b = JSON.createObjectBuilder().add("resourceType", "AllergyIntolerance").add("identifier", identifier)
                        .add("clinicalStatus", concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"))
                        .add("code", code).add("patient", subject).add("recordedDate", when);
                if (!o.field("reaction").isEmpty()) {
                    b.add("reaction", JSON.createArrayBuilder().add(JSON.createObjectBuilder().add("manifestation",
                            JSON.createArrayBuilder().add(JSON.createObjectBuilder().add("text", o.field("reaction"))))));
                }
                yield b.build();
            }
            case CONDITION -> JSON.createObjectBuilder().add("resourceType", "Condition").add("identifier", identifier)
                    .add("clinicalStatus", concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"))
                    .add("code", code).add("subject", subject).add("recordedDate", when).build();
            default -> JSON.createObjectBuilder().add("resourceType", "DocumentReference").add("identifier", identifier)
                    .add("status", "current").add("description", o.field("title")).add("subject", subject).add("date", when)
                    .add("content", JSON.createArrayBuilder().add(JSON.createObjectBuilder().add("attachment",
                            JSON.createObjectBuilder().add("contentType", "text/plain; charset=utf-8")
                                    .add("data", java.util.Base64.getEncoder().encodeToString(
                                            o.field("text").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                                    .add("title", o.field("title")))))
                    .build();
        };
    }

    private static JsonObject concept(String system, String code) {
        return JSON.createObjectBuilder().add("coding", JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                .add("system", system).add("code", code))).build();
    }
}

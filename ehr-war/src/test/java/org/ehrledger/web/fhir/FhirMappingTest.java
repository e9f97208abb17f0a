package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Timing;
import org.junit.jupiter.api.Test;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/**
 * The facade's mapping, on HAPI's real model and the offline R4 validator: records made in the portal read
 * as valid resources, resources written through the facade become records with readable fields, and
 * transaction bundles are planned (references resolved, wrong bundles refused) before anything is written.
 */
class FhirMappingTest {

    private static final String PATIENT = "P-7K3MX-9QX2B";

    private static ClinicalRecords.Opened opened(Category category, Map<String, String> fields) {
        byte[] content = fields.toString().getBytes(StandardCharsets.UTF_8);
        return new ClinicalRecords.Opened(new ClinicalRecord("R-AAAAA-BBBBB-CCCCC-" + category.ordinal() + "DDDD", PATIENT, category,
                "dr.ada", Digest.sha256(content), content.length, 1_764_000_000_000L, false), fields);
    }

    private static Map<String, String> fields(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void assertValid(Resource r) {
        var errors = Fhir.errors(r);
        assertTrue(errors.isEmpty(), () -> r.fhirType() + " does not validate: " + errors.stream()
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList() + "\n" + Fhir.json(r));
    }

    @Test
    void portalRecordsReadAsValidResourcesOfTheirType() {
        List<ClinicalRecords.Opened> records = List.of(
                opened(Category.PRESCRIPTION, fields("title", "Amoxicillin 500 mg", "text", "with food", "dose", "500 mg",
                        "route", "oral", "frequency", "3 times a day", "duration", "7 days")),
                opened(Category.OBSERVATION, fields("title", "Haemoglobin", "value", "13.5", "unit", "g/dL")),
                opened(Category.ALLERGY, fields("title", "Penicillin", "reaction", "hives", "severity", "moderate")),
                opened(Category.CONDITION, fields("title", "Type 2 diabetes", "text", "diet controlled")),
                opened(Category.ENCOUNTER, fields("title", "Clinic visit")),
                opened(Category.PROCEDURE, fields("title", "Appendectomy")),
                opened(Category.NOTE, fields("title", "Follow-up", "text", "Doing well.")));
        List<String> types = List.of("MedicationRequest", "Observation", "AllergyIntolerance", "Condition", "Encounter",
                "Procedure", "DocumentReference");
        for (int i = 0; i < records.size(); i++) {
            Resource r = Resources.resource(records.get(i));
            assertEquals(types.get(i), r.fhirType());
            assertEquals(records.get(i).record().id(), r.getIdElement().getIdPart());
            assertValid(r);
        }
        Observation o = (Observation) Resources.resource(records.get(1));
        assertEquals(new BigDecimal("13.5"), o.getValueQuantity().getValue());
        assertValid(Resources.patient(PATIENT, opened(Category.DEMOGRAPHICS, fields("name", "Ada Lovelace",
                "birthDate", "1985-12-10", "contact", "ada@example.org"))));
    }

    @Test
    void ledgerResourcesValidate() {
        assertValid(Capability.statement("http://127.0.0.1:8081/fhir/r4"));
        assertValid(Consents.consent(PATIENT, new PatientService.ConsentView("C-AAAAA-BBBBB-CCCCC", "dr.ada",
                "Dr Ada", List.of("NOTE", "OBSERVATION"), 1_900_000_000_000L, "Active")));
        assertValid(Consents.consent(PATIENT, new PatientService.ConsentView("C-AAAAA-BBBBB-DDDDD", "org:st-mary",
                "Everyone at St Mary", List.of("PRESCRIPTION"), 0, "Revoked")));
        assertValid(Consents.audit(PATIENT, 3, new PatientService.Access(1_764_000_000_000L, "dr.ada", "Dr Ada",
                "St Mary", "NOTE", "BREAK_GLASS", "Break-glass: unconscious · treatment", "admin-1", "admin-2")));
        assertValid(Records.provenance("Observation", "dr.ada", false, new ClinicalRecords.RecordReceipt(
                "R-AAAAA-BBBBB-CCCCC-DDDDD", 42, 3, "ab".repeat(32), "cd".repeat(32), 1_764_000_000_000L, true, "")));
        assertValid(Directory.practitioner(new NetworkService.Person("dr.ada", "PRACTITIONER", "st-mary", "St Mary",
                false, "Dr Ada")));
        assertValid(Directory.organisation(new NetworkService.Member("st-mary", "St Mary")));
        org.hl7.fhir.r4.model.Group group = Directory.group(new org.ehrledger.ejb.application.service.PractitionerService
                .OrganisationGroup("st-mary", "St Mary", List.of("P-AAAAA-BBBBB", "P-CCCCC-DDDDD")));
        // Validated against the specification by FhirIT's full validator: the facade's own validator learns only
        // the types it validates as top-level resources (Fhir.TYPES), and the facade never validates a Group it answers.
        assertEquals(org.hl7.fhir.r4.model.Group.GroupType.PERSON, group.getType());
        assertTrue(group.getActual(), "members only in an actual group");
        assertEquals(2, group.getQuantity());
        assertEquals(List.of("Patient/P-AAAAA-BBBBB", "Patient/P-CCCCC-DDDDD"),
                group.getMember().stream().map(m -> m.getEntity().getReference()).toList());
        assertEquals("Organization/st-mary", group.getManagingEntity().getReference());
    }

    @Test
    void aPrescriptionBecomesAPrescriptionRecordWithItsDosage() {
        MedicationRequest m = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                .setIntent(MedicationRequest.MedicationRequestIntent.ORDER)
                .setMedication(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "308182",
                        "Amoxicillin 500 MG Oral Capsule")))
                .setSubject(new Reference("Patient/" + PATIENT));
        var dosage = m.addDosageInstruction().setText("one capsule three times a day with food")
                .setRoute(new CodeableConcept(new Coding("http://snomed.info/sct", "26643006", "Oral route")))
                .setTiming(new Timing().setRepeat(new Timing.TimingRepeatComponent().setFrequency(3)
                        .setPeriod(1).setPeriodUnit(Timing.UnitsOfTime.D)));
        dosage.addDoseAndRate().setDose(new Quantity().setValue(500).setUnit("mg"));
        m.getDispenseRequest().setExpectedSupplyDuration((org.hl7.fhir.r4.model.Duration) new org.hl7.fhir.r4.model.Duration()
                .setValue(7).setUnit("days"));
        assertValid(m);
        RecordService.Draft d = Resources.draft(m);
        assertEquals("PRESCRIPTION", d.category());
        assertEquals("Amoxicillin 500 MG Oral Capsule", d.title());
        assertEquals(Map.of("dose", "500 mg", "route", "Oral route", "frequency", "3 per 1 d", "duration", "7 days"), d.details());
        assertFalse(d.resource().contains("\"id\""));
    }

    private static ClinicalRecords.Opened openedBy(String author, Category category, Map<String, String> fields) {
        ClinicalRecord r = opened(category, fields).record();
        return new ClinicalRecords.Opened(new ClinicalRecord(r.id(), r.patient(), category, author, r.contentHash(), r.size(),
                r.createdAt(), false), fields);
    }

    @Test
    void aStoredResourceShowsTheLedgersAuthorSubjectAndIdWhateverItsWriterClaimed() {
        MedicationRequest claimed = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                .setIntent(MedicationRequest.MedicationRequestIntent.ORDER).setMedication(new CodeableConcept().setText("Oxycodone"))
                .setSubject(new Reference("Patient/P-OTHER-00000")).setRequester(new Reference("Practitioner/dr.someone-else"))
                .setRecorder(new Reference("Practitioner/dr.someone-else"));
        claimed.addIdentifier().setSystem(Resources.RECORD_SYSTEM).setValue("R-FAKE0-FAKE0-FAKE0-FAKE0");
        ClinicalRecords.Opened o = openedBy("dr.ada", Category.PRESCRIPTION, fields("title", "Oxycodone", "dose", "5 mg",
                "route", "oral", "frequency", "once", "duration", "1 day", RecordService.RESOURCE, Fhir.json(claimed)));
        MedicationRequest shown = (MedicationRequest) Resources.resource(o);
        assertEquals("Practitioner/dr.ada", shown.getRequester().getReference());
        assertEquals("Patient/" + PATIENT, shown.getSubject().getReference());
        assertFalse(shown.hasRecorder());
        assertEquals(o.record().createdAt(), shown.getAuthoredOn().getTime());
        assertEquals(o.record().id(), shown.getIdentifierFirstRep().getValue());
        assertFalse(Fhir.json(shown).contains("someone-else") || Fhir.json(shown).contains("FAKE0"), Fhir.json(shown));
        assertValid(shown);

        Observation byPatient = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept().setText("Home blood pressure")).setSubject(new Reference("Patient/" + PATIENT));
        byPatient.addPerformer(new Reference("Practitioner/dr.ada"));
        Observation read = (Observation) Resources.resource(openedBy(PATIENT, Category.OBSERVATION,
                fields("title", "Home blood pressure", RecordService.RESOURCE, Fhir.json(byPatient))));
        assertEquals(List.of("Patient/" + PATIENT), read.getPerformer().stream().map(Reference::getReference).toList());
        assertValid(read);
    }

    @Test
    void aResourceOfTheWrongTypeOrMalformedIsShownAsTheRecordsFieldsAndNeverFails() {
        String prescription = Fhir.json(new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                .setIntent(MedicationRequest.MedicationRequestIntent.ORDER).setMedication(new CodeableConcept().setText("Oxycodone"))
                .setRequester(new Reference("Practitioner/dr.ada")));
        ClinicalRecords.Opened planted = openedBy(PATIENT, Category.NOTE, fields("title", "My diary", "text", "felt fine",
                RecordService.RESOURCE, prescription));
        assertEquals("DocumentReference", Resources.typeOf(planted));
        Resource note = Resources.resource(planted);
        assertEquals("DocumentReference", note.fhirType());
        assertFalse(Fhir.json(note).contains("Oxycodone"), Fhir.json(note));
        assertValid(note);

        for (String malformed : List.of("{\"resourceType\":\"MedicationRequest\",\"requester\":", "{\"resourceType\":\"",
                "not json at all", "{\"resourceType\":\"Patient\",\"id\":\"x\"}")) {
            ClinicalRecords.Opened broken = openedBy("dr.ada", Category.PRESCRIPTION, fields("title", "Amoxicillin",
                    "dose", "500 mg", "route", "oral", "frequency", "3 times a day", "duration", "7 days",
                    RecordService.RESOURCE, malformed));
            assertEquals("MedicationRequest", Resources.typeOf(broken), malformed);
            MedicationRequest m = (MedicationRequest) Resources.resource(broken);
            assertEquals("Amoxicillin", m.getMedicationCodeableConcept().getText());
            assertEquals("Practitioner/dr.ada", m.getRequester().getReference());
            assertValid(m);
            String bundle = Resources.collection(PATIENT, List.of(broken, opened(Category.DEMOGRAPHICS, fields("name", "Ada",
                    RecordService.RESOURCE, malformed))));
            assertTrue(bundle.contains("Amoxicillin"), bundle);
        }
    }

    @Test
    void aTransactionResolvesReferencesToTheLedgerIdsTheRecordsWillHave() {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient p = new Patient();
        p.setId(PATIENT);
        b.addEntry().setFullUrl("urn:uuid:6b1a0d0e-0000-4000-8000-000000000001").setResource(p).getRequest()
                .setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + PATIENT);
        Encounter e = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
                .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
                .setSubject(new Reference("urn:uuid:6b1a0d0e-0000-4000-8000-000000000001"));
        b.addEntry().setFullUrl("urn:uuid:6b1a0d0e-0000-4000-8000-000000000002").setResource(e).getRequest()
                .setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", "8867-4", "Heart rate")))
                .setSubject(new Reference("urn:uuid:6b1a0d0e-0000-4000-8000-000000000001"))
                .setEncounter(new Reference("urn:uuid:6b1a0d0e-0000-4000-8000-000000000002"))
                .setValue(new Quantity().setValue(72).setUnit("/min").setSystem("http://unitsofmeasure.org").setCode("/min"));
        b.addEntry().setFullUrl("urn:uuid:6b1a0d0e-0000-4000-8000-000000000003").setResource(o).getRequest()
                .setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
        assertValid(b);

        Transaction t = Transaction.plan(b, null);
        assertEquals(PATIENT, t.patientId());
        assertEquals(2, t.drafts().size());
        String encounterId = t.drafts().get(0).recordId();
        assertTrue(t.drafts().get(1).resource().contains("\"reference\":\"Encounter/" + encounterId + "\""));
        assertTrue(t.drafts().get(1).resource().contains("\"reference\":\"Patient/" + PATIENT + "\""));
        assertEquals(Map.of("value", "72", "unit", "/min"), t.drafts().get(1).details());
        assertEquals(List.of("Patient/" + PATIENT, "Encounter/" + encounterId, "Observation/" + t.drafts().get(1).recordId()),
                t.entries());
        assertThrows(FhirException.class, () -> Transaction.plan(b, "P-OTHER-PATNT"), "a patient sends only their own");
    }

    @Test
    void aTransactionResponseReportsEachWarningAtItsOwnEntryAndNeedsNoDrafts() {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        b.addEntry().setFullUrl("urn:uuid:6b1a0d0e-0000-4000-8000-000000000001").setResource(new Patient()).getRequest()
                .setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + PATIENT);
        for (int i = 0; i < 11; i++) {
            Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                    .setCode(new CodeableConcept(new Coding("http://loinc.org", "8867-4", "Heart rate")))
                    .setSubject(new Reference("urn:uuid:6b1a0d0e-0000-4000-8000-000000000001"));
            b.addEntry().setResource(o).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
        }
        ca.uhn.fhir.validation.SingleValidationMessage one = new ca.uhn.fhir.validation.SingleValidationMessage();
        one.setLocationString("Bundle.entry[1].resource.meta.profile[0]");
        one.setMessage("Profile reference 'http://example.org/one' has not been checked because it is unknown");
        ca.uhn.fhir.validation.SingleValidationMessage eleven = new ca.uhn.fhir.validation.SingleValidationMessage();
        eleven.setLocationString("Bundle.entry[11].resource.meta.profile[0]");
        eleven.setMessage("Profile reference 'http://example.org/eleven' has not been checked because it is unknown");

        Transaction planned = Transaction.plan(b, null, n -> "R-AAAAA-BBBBB-CCCCC-" + (10_000 + n));
        List<String> ids = planned.drafts().stream().map(RecordService.Draft::recordId).toList();
        Transaction t = planned.answering(List.of(one, eleven)).withoutDrafts();
        assertTrue(t.drafts().isEmpty(), "what answers an import does not hold its records");
        Bundle response = t.response(ids);
        assertEquals(Bundle.BundleType.TRANSACTIONRESPONSE, response.getType());
        assertEquals(12, response.getEntry().size());
        for (int i = 0; i < 12; i++) {
            Bundle.BundleEntryResponseComponent r = response.getEntry().get(i).getResponse();
            assertEquals(i == 1 || i == 11, r.hasOutcome(), "entry " + i);
            assertEquals(i == 0 ? "200 OK" : "201 Created", r.getStatus());
        }
        OperationOutcome o1 = (OperationOutcome) response.getEntry().get(1).getResponse().getOutcome();
        OperationOutcome o11 = (OperationOutcome) response.getEntry().get(11).getResponse().getOutcome();
        assertEquals(1, o1.getIssue().size());
        assertTrue(o1.getIssueFirstRep().getDiagnostics().contains("example.org/one"), o1.getIssueFirstRep().getDiagnostics());
        assertEquals(1, o11.getIssue().size(), "entry 11's warning is not entry 1's");
        assertTrue(o11.getIssueFirstRep().getDiagnostics().contains("example.org/eleven"));
    }

    @Test
    void transactionsThatCannotBeKeptAreRefusedWhole() {
        Bundle newPatient = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        newPatient.addEntry().setFullUrl("urn:uuid:1").setResource(new Patient()).getRequest().setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient");
        FhirException e = assertThrows(FhirException.class, () -> Transaction.plan(newPatient, null));
        assertEquals("UNKNOWN_PATIENT", e.outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());

        Bundle form = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        form.addEntry().setResource(new org.hl7.fhir.r4.model.Questionnaire()).getRequest().setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Questionnaire");
        FhirException notOfAPatient = assertThrows(FhirException.class, () -> Transaction.plan(form, null));
        assertEquals(422, notOfAPatient.status());
        assertEquals("UNSUPPORTED_TYPE", notOfAPatient.outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());

        Bundle twoPatients = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (String who : List.of(PATIENT, "P-22222-33333")) {
            twoPatients.addEntry().setResource(new Observation().setStatus(Observation.ObservationStatus.FINAL)
                    .setCode(new CodeableConcept().setText("x")).setSubject(new Reference("Patient/" + who)))
                    .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
        }
        assertThrows(FhirException.class, () -> Transaction.plan(twoPatients, null));

        Bundle dangling = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        dangling.addEntry().setResource(new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept().setText("x")).setSubject(new Reference("Patient/" + PATIENT))
                .setEncounter(new Reference("urn:uuid:not-in-bundle"))).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
        assertThrows(FhirException.class, () -> Transaction.plan(dangling, null));
    }

    @Test
    void anInvalidResourceIsReportedWithItsLocation() {
        Observation noCode = new Observation().setStatus(Observation.ObservationStatus.FINAL);
        var errors = Fhir.errors(noCode);
        assertFalse(errors.isEmpty());
        FhirException e = FhirException.invalidResource(errors);
        assertEquals(422, e.status());
        assertTrue(e.outcome().getIssue().stream().anyMatch(i -> i.getExpression().toString().contains("Observation")));
    }

    @Test
    void dateSearchesCompareAtTheGivenPrecision() {
        long noon = java.time.Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
        assertTrue(Search.dates(List.of("ge2026-03-10T00:00:00Z")).test(noon));
        assertTrue(Search.dates(List.of("eq2026-03-10T12:00:00Z")).test(noon + 999));
        assertFalse(Search.dates(List.of("eq2026-03-10T12:00:00Z")).test(noon + 1_000));
        assertFalse(Search.dates(List.of("lt2026-03-10T12:00:00Z")).test(noon));
        assertTrue(Search.dates(List.of("le2026-03-10T12:00:00Z", "gt2026-03-09T00:00:00Z")).test(noon));
        assertThrows(FhirException.class, () -> Search.dates(List.of("soon")));
        assertThrows(FhirException.class, () -> Search.count("0", 50, 200));
        assertEquals(200, Search.count("200", 50, 200));
    }
}

package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.ExplanationOfBenefit;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Location;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationAdministration;
import org.hl7.fhir.r4.model.Money;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.SupplyDelivery;
import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;

/**
 * The one table of which resource types are kept and under which consent category ({@link RecordTypes}),
 * against HAPI's R4 Patient compartment, and a transaction bundle shaped like a Synthea export (the types the
 * facade refused before: claims, care plans, devices, imaging, medications, supply, provenance and the
 * organisations, practitioners and locations they point at) planned as records of their categories.
 */
class RecordTypesTest {

    private static final String PATIENT = "P-7K3MX-9QX2B";

    /** The types of the R4 Patient compartment, as HAPI's resource definitions name them. */
    private static Set<String> patientCompartment() {
        var context = Fhir.context();
        Set<String> types = new TreeSet<>();
        for (String type : context.getResourceTypes()) {
            if (!context.getResourceDefinition(type).getSearchParamsForCompartmentName("Patient").isEmpty()) {
                types.add(type);
            }
        }
        return types;
    }

    @Test
    void everyTypeOfThePatientCompartmentIsKeptUnderACategoryButTheLedgersOwn() {
        Set<String> compartment = patientCompartment();
        assertTrue(compartment.size() > 50, "HAPI names the R4 Patient compartment: " + compartment);
        Set<String> missing = new TreeSet<>(compartment);
        missing.removeAll(RecordTypes.BY_NATURE.keySet());
        assertEquals(RecordTypes.LEDGER_OWN, missing, "compartment types without a category");
    }

    @Test
    void nothingOutsideThePatientCompartmentIsKeptButReferenceDataAndDevices() {
        Set<String> compartment = patientCompartment();
        Set<String> outside = new TreeSet<>();
        for (String type : RecordTypes.BY_NATURE.keySet()) {
            assertNotNull(Fhir.context().getResourceDefinition(type), type + " is an R4 type");
            if (!compartment.contains(type) && !RecordTypes.isReferenceData(type)) {
                outside.add(type);
            }
        }
        // A device implanted in or used by the patient names them (Device.patient), though R4 puts it in its own compartment.
        assertTrue(Set.of("Device").containsAll(outside), "kept, yet neither of the Patient compartment nor reference data: "
                + outside);
    }

    @Test
    void claimsAreBillingWhichBillingStaffSeeUnderABillingConsentAndReferenceDataIsNot() {
        for (String type : List.of("Claim", "ExplanationOfBenefit")) {
            assertEquals(Category.BILLING, RecordTypes.categoryOf(type));
        }
        assertTrue(Category.BILLING.billingRelevant());
        for (String type : List.of("Organization", "Practitioner", "Location", "Medication")) {
            assertEquals(Category.REFERENCE_DATA, RecordTypes.categoryOf(type), type);
        }
        assertEquals(Category.PRESCRIPTION, RecordTypes.categoryOf("MedicationAdministration"));
        assertEquals(Category.NOTE, RecordTypes.categoryOf("CarePlan"));
        assertEquals(Category.OBSERVATION, RecordTypes.categoryOf("ImagingStudy"));
        assertEquals(Set.of(Category.NOTE, Category.ATTACHMENT), RecordTypes.categoriesOf("DocumentReference"));
        for (String own : RecordTypes.LEDGER_OWN) {
            assertTrue(!RecordTypes.isRecordType(own), own);
        }
    }

    @Test
    void theSubjectIsFoundWhereverTheTypeNamesItsPatient() {
        Reference me = new Reference("Patient/" + PATIENT);
        assertEquals(me.getReference(), RecordTypes.subjectOf(new Claim().setPatient(me)).getReference());
        assertEquals(me.getReference(), RecordTypes.subjectOf(new Coverage().setBeneficiary(me)).getReference());
        assertEquals(me.getReference(), RecordTypes.subjectOf(new CareTeam().setSubject(me)).getReference());
        assertEquals(me.getReference(), RecordTypes.subjectOf(new Device().setPatient(me)).getReference());
        assertEquals("Group/g", RecordTypes.subjectOf(new CarePlan().setSubject(new Reference("Group/g"))).getReference(),
                "what it refers to instead, for the refusal to name");
    }

    /** A transaction like a Synthea patient export, with every entry of a type the facade refused before. */
    static Bundle syntheaShaped(String patientId) {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient p = new Patient();
        p.addIdentifier().setSystem(Resources.PATIENT_SYSTEM).setValue(patientId);
        p.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
        String patient = add(b, p, Bundle.HTTPVerb.PUT, "Patient/" + patientId);
        String org = add(b, new Organization().setName("Synthea General Hospital"), Bundle.HTTPVerb.POST, "Organization");
        Practitioner doc = new Practitioner();
        doc.addName().setFamily("Welby").addGiven("Marcus");
        String practitioner = add(b, doc, Bundle.HTTPVerb.POST, "Practitioner");
        String location = add(b, new Location().setName("Synthea General Hospital, ward 3")
                .setManagingOrganization(new Reference(org)), Bundle.HTTPVerb.POST, "Location");
        String medication = add(b, new Medication().setCode(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm",
                "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"))), Bundle.HTTPVerb.POST, "Medication");
        MedicationAdministration given = new MedicationAdministration()
                .setStatus(MedicationAdministration.MedicationAdministrationStatus.COMPLETED)
                .setMedication(new Reference(medication)).setSubject(new Reference(patient))
                .setEffective(new org.hl7.fhir.r4.model.DateTimeType("2024-03-01T10:00:00Z"));
        add(b, given, Bundle.HTTPVerb.POST, "MedicationAdministration");
        CarePlan plan = new CarePlan().setStatus(CarePlan.CarePlanStatus.ACTIVE).setIntent(CarePlan.CarePlanIntent.ORDER)
                .setSubject(new Reference(patient));
        plan.addCategory(new CodeableConcept(new Coding("http://snomed.info/sct", "698360004", "Diabetes self management plan")));
        add(b, plan, Bundle.HTTPVerb.POST, "CarePlan");
        CareTeam team = new CareTeam().setStatus(CareTeam.CareTeamStatus.ACTIVE).setSubject(new Reference(patient));
        team.addParticipant().setMember(new Reference(practitioner));
        add(b, team, Bundle.HTTPVerb.POST, "CareTeam");
        Device device = new Device().setPatient(new Reference(patient)).setType(new CodeableConcept(new Coding(
                "http://snomed.info/sct", "337414009", "Blood glucose meter")));
        add(b, device, Bundle.HTTPVerb.POST, "Device");
        ImagingStudy study = new ImagingStudy().setStatus(ImagingStudy.ImagingStudyStatus.AVAILABLE).setSubject(new Reference(patient));
        add(b, study, Bundle.HTTPVerb.POST, "ImagingStudy");
        SupplyDelivery supply = new SupplyDelivery().setStatus(SupplyDelivery.SupplyDeliveryStatus.COMPLETED)
                .setPatient(new Reference(patient));
        add(b, supply, Bundle.HTTPVerb.POST, "SupplyDelivery");
        Claim claim = new Claim().setStatus(Claim.ClaimStatus.ACTIVE).setUse(Claim.Use.CLAIM)
                .setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/claim-type", "institutional", null)))
                .setPatient(new Reference(patient)).setCreated(new java.util.Date(1_709_287_200_000L))
                .setProvider(new Reference(org)).setPriority(new CodeableConcept(new Coding(
                        "http://terminology.hl7.org/CodeSystem/processpriority", "normal", null)))
                .setTotal(new Money().setValue(new BigDecimal("129.16")).setCurrency("USD"));
        claim.addInsurance().setSequence(1).setFocal(true).setCoverage(new Reference().setDisplay("Medicare"));
        claim.addItem().setSequence(1).setProductOrService(new CodeableConcept(new Coding("http://snomed.info/sct",
                "185345009", "Encounter for symptom")));
        String claimRef = add(b, claim, Bundle.HTTPVerb.POST, "Claim");
        ExplanationOfBenefit eob = new ExplanationOfBenefit().setStatus(ExplanationOfBenefit.ExplanationOfBenefitStatus.ACTIVE)
                .setType(claim.getType()).setUse(ExplanationOfBenefit.Use.CLAIM).setPatient(new Reference(patient))
                .setCreated(claim.getCreated()).setInsurer(new Reference().setDisplay("Medicare")).setProvider(new Reference(org))
                .setClaim(new Reference(claimRef)).setOutcome(ExplanationOfBenefit.RemittanceOutcome.COMPLETE);
        eob.addInsurance().setFocal(true).setCoverage(new Reference().setDisplay("Medicare"));
        eob.setBillablePeriod(new Period().setStart(claim.getCreated()));
        add(b, eob, Bundle.HTTPVerb.POST, "ExplanationOfBenefit");
        Provenance provenance = new Provenance().setRecorded(new java.util.Date(1_709_287_200_000L));
        for (Bundle.BundleEntryComponent e : new ArrayList<>(b.getEntry())) {
            provenance.addTarget(new Reference(e.getFullUrl()));
        }
        provenance.addAgent().setWho(new Reference(practitioner)).setOnBehalfOf(new Reference(org));
        add(b, provenance, Bundle.HTTPVerb.POST, "Provenance");
        return b;
    }

    private static String add(Bundle b, Resource r, Bundle.HTTPVerb method, String url) {
        String fullUrl = "urn:uuid:" + java.util.UUID.nameUUIDFromBytes((b.getEntry().size() + url).getBytes());
        b.addEntry().setFullUrl(fullUrl).setResource(r).getRequest().setMethod(method).setUrl(url);
        return fullUrl;
    }

    @Test
    void aSyntheaShapedBundleValidatesAndIsPlannedAsRecordsOfTheirCategories() {
        Bundle b = syntheaShaped(PATIENT);
        Fhir.Findings findings = Fhir.validate(b);
        assertEquals(List.of(), findings.errors().stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList());

        Transaction t = Transaction.plan(b, null);
        assertEquals(PATIENT, t.patientId());
        Map<String, String> categories = new LinkedHashMap<>();
        for (int i = 0; i < t.drafts().size(); i++) {
            RecordService.Draft d = t.drafts().get(i);
            categories.put(t.entries().get(i + 1).split("/")[0], d.category());
            assertTrue(d.resource().length() > 20, "the resource is kept");
        }
        assertEquals(Map.ofEntries(Map.entry("Organization", "REFERENCE_DATA"), Map.entry("Practitioner", "REFERENCE_DATA"),
                Map.entry("Location", "REFERENCE_DATA"), Map.entry("Medication", "REFERENCE_DATA"),
                Map.entry("MedicationAdministration", "PRESCRIPTION"), Map.entry("CarePlan", "NOTE"), Map.entry("CareTeam", "NOTE"),
                Map.entry("Device", "PROCEDURE"), Map.entry("ImagingStudy", "OBSERVATION"), Map.entry("SupplyDelivery", "PROCEDURE"),
                Map.entry("Claim", "BILLING"), Map.entry("ExplanationOfBenefit", "BILLING"), Map.entry("Provenance", "REFERENCE_DATA")),
                categories);
        RecordService.Draft claim = t.drafts().get(t.entries().indexOf(t.entries().stream()
                .filter(e -> e.startsWith("Claim/")).findFirst().orElseThrow()) - 1);
        assertEquals("Claim: institutional", claim.title());
        String organisation = t.entries().stream().filter(e -> e.startsWith("Organization/")).findFirst().orElseThrow();
        assertTrue(claim.resource().contains("\"reference\":\"" + organisation + "\""), "references resolved to the ledger ids");
    }
}

package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.domain.model.record.Category;

/**
 * Which FHIR R4 resource types the facade keeps as a patient's records, and under which consent category:
 * the one table of that mapping. Every type of the R4 Patient compartment (as HAPI's resource definitions
 * name it) is kept, by its nature ({@link #BY_NATURE}); the ledger's own types (Patient, Consent, AuditEvent)
 * are not records. Claims and explanations of benefit are {@link Category#BILLING}, which billing staff read
 * under a billing consent; the organisations, practitioners, locations and medications a patient's records
 * point at are kept with them as {@link Category#REFERENCE_DATA}.
 */
final class RecordTypes {

    /** The ledger's own resources of a patient: served from what the ledger knows, never kept as records. */
    static final Set<String> LEDGER_OWN = Set.of("Patient", "Consent", "AuditEvent");

    /**
     * Each kept type's category. A unit test checks that it names every type of HAPI's Patient compartment
     * (but the ledger's own) and nothing outside it but reference data; docs/FHIR.md shows the same table.
     */
    static final Map<String, Category> BY_NATURE = table(Map.of(
            Category.PRESCRIPTION, List.of("MedicationRequest", "MedicationAdministration", "MedicationDispense",
                    "MedicationStatement", "NutritionOrder", "VisionPrescription"),
            Category.OBSERVATION, List.of("Observation", "DiagnosticReport", "ImagingStudy", "Media", "Specimen",
                    "MolecularSequence", "RiskAssessment", "ClinicalImpression", "DetectedIssue", "QuestionnaireResponse",
                    "MeasureReport", "BodyStructure"),
            Category.ALLERGY, List.of("AllergyIntolerance", "AdverseEvent"),
            Category.CONDITION, List.of("Condition", "FamilyMemberHistory", "Flag", "Goal"),
            Category.ENCOUNTER, List.of("Encounter", "EpisodeOfCare", "Appointment", "AppointmentResponse", "Schedule"),
            Category.PROCEDURE, List.of("Procedure", "Immunization", "ImmunizationEvaluation", "ImmunizationRecommendation",
                    "ServiceRequest", "DeviceRequest", "DeviceUseStatement", "Device", "SupplyRequest", "SupplyDelivery"),
            Category.NOTE, List.of("DocumentReference", "DocumentManifest", "Composition", "List", "Basic", "CarePlan",
                    "CareTeam", "RequestGroup", "Communication", "CommunicationRequest", "ResearchSubject"),
            Category.BILLING, List.of("Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage", "CoverageEligibilityRequest",
                    "CoverageEligibilityResponse", "EnrollmentRequest", "Account", "ChargeItem", "Invoice"),
            Category.REFERENCE_DATA, List.of("Organization", "Practitioner", "PractitionerRole", "Location", "Medication",
                    "Provenance", "RelatedPerson", "Person", "Group")));

    private RecordTypes() {
    }

    private static Map<String, Category> table(Map<Category, List<String>> byCategory) {
        Map<String, Category> m = new TreeMap<>();
        byCategory.forEach((category, types) -> types.forEach(t -> {
            if (m.put(t, category) != null) {
                throw new IllegalStateException(t + " is in two categories");
            }
        }));
        return Collections.unmodifiableMap(m);
    }

    /** Whether resources of this type are kept as records. */
    static boolean isRecordType(String type) {
        return BY_NATURE.containsKey(type);
    }

    /** The category a record of this type is written under (null for a type not kept). */
    static Category categoryOf(String type) {
        return BY_NATURE.get(type);
    }

    /** The categories holding resources of a record type (a DocumentReference may be a note or an attachment). */
    static Set<Category> categoriesOf(String type) {
        if (type.equals("DocumentReference")) {
            return EnumSet.of(Category.NOTE, Category.ATTACHMENT);
        }
        return EnumSet.of(BY_NATURE.get(type));
    }

    /** Reference data belongs to the patient whose records point at it: it names no patient of its own. */
    static boolean isReferenceData(String type) {
        return BY_NATURE.get(type) == Category.REFERENCE_DATA;
    }

    /** The kept types, sorted. */
    static Set<String> types() {
        return new TreeSet<>(BY_NATURE.keySet());
    }

    /**
     * The patient a resource is about: the first patient reference at one of the paths by which its type is in
     * the Patient compartment (such as {@code Observation.subject}, {@code Claim.patient} or
     * {@code Coverage.beneficiary}); else its {@code subject} or {@code patient}, whatever it refers to (so
     * that a refusal can say what it refers to); null if it has neither.
     */
    static Reference subjectOf(Resource r) {
        FhirContext context = Fhir.context();
        RuntimeResourceDefinition definition = context.getResourceDefinition(r);
        var terser = context.newTerser();
        for (String path : compartmentPaths(definition)) {
            List<Reference> found;
            try {
                found = terser.getValues(r, path, Reference.class);
            } catch (RuntimeException e) { // a path the terser cannot follow (a choice, a function): not a way in
                continue;
            }
            for (Reference ref : found) {
                if (ref.hasReference() && ref.getReference().startsWith("Patient/")) {
                    return ref;
                }
            }
        }
        String path = definition.getChildByName("subject") != null ? "subject"
                : definition.getChildByName("patient") != null ? "patient" : null;
        return path == null ? null : terser.getSingleValueOrNull(r, path, Reference.class);
    }

    /** The element paths (without the type) by which a type is in the Patient compartment. */
    private static List<String> compartmentPaths(RuntimeResourceDefinition definition) {
        List<String> paths = new ArrayList<>();
        for (RuntimeSearchParam p : definition.getSearchParamsForCompartmentName("Patient")) {
            for (String one : p.getPath().split("\\|")) {
                String path = one.strip();
                int where = path.indexOf(".where(");
                if (where > 0) {
                    path = path.substring(0, where);
                }
                if (path.startsWith(definition.getName() + ".")) {
                    paths.add(path.substring(definition.getName().length() + 1));
                }
            }
        }
        return paths;
    }
}

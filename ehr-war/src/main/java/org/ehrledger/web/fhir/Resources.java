package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Dosage;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Timing;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/**
 * Clinical records as HL7 FHIR R4 resources and back. A record written through the facade keeps the
 * resource it was written as (with references resolved to ledger ids) and is read back as that resource; a
 * record written elsewhere (the portal, the JSON API) is mapped from its fields. The resource id is the
 * record id, and {@code meta.lastUpdated} is when the ledger committed it.
 */
public final class Resources {

    public static final String RECORD_SYSTEM = "urn:ehr-ledger:record";
    public static final String PATIENT_SYSTEM = "urn:ehr-ledger:patient";
    public static final String USER_SYSTEM = "urn:ehr-ledger:user";
    public static final String ORGANISATION_SYSTEM = "urn:ehr-ledger:organisation";
    public static final String CATEGORY_SYSTEM = "urn:ehr-ledger:category";
    public static final String CONSENT_SYSTEM = "urn:ehr-ledger:consent";
    public static final String TRANSACTION_SYSTEM = "urn:ehr-ledger:transaction";
    public static final String BLOCK_SYSTEM = "urn:ehr-ledger:block";

    private Resources() {
    }

    /** The FHIR type a record reads as: the type it was written as, if that resource can be used, or its category's. */
    static String typeOf(ClinicalRecords.Opened o) {
        Resource stored = StoredResources.of(o);
        if (stored != null) {
            return stored.fhirType();
        }
        return switch (o.record().category()) {
            case PRESCRIPTION -> "MedicationRequest";
            case OBSERVATION -> "Observation";
            case ALLERGY -> "AllergyIntolerance";
            case CONDITION -> "Condition";
            case ENCOUNTER -> "Encounter";
            case PROCEDURE -> "Procedure";
            case DEMOGRAPHICS -> "Patient";
            default -> "DocumentReference";
        };
    }

    /**
     * A record as a resource: as it was written (with what the ledger knows in place of what the writer
     * claimed, {@link StoredResources}), or mapped from its fields.
     */
    static Resource resource(ClinicalRecords.Opened o) {
        ClinicalRecord r = o.record();
        Resource stored = StoredResources.of(o);
        Resource resource = stored == null ? mapped(o) : StoredResources.attributed(stored, r);
        resource.setId(resource.fhirType() + "/" + r.id());
        resource.getMeta().setVersionId("1").setLastUpdated(new Date(r.createdAt()));
        return resource;
    }

    static Reference patientReference(String patientId) {
        return new Reference("Patient/" + patientId);
    }

    private static Resource mapped(ClinicalRecords.Opened o) {
        ClinicalRecord r = o.record();
        Reference subject = patientReference(r.patient());
        Date when = new Date(r.createdAt());
        CodeableConcept code = new CodeableConcept().setText(orDefault(o.field("title"), r.category().name().toLowerCase(Locale.ROOT)));
        String text = o.field("text");
        return switch (r.category()) {
            case PRESCRIPTION -> {
                MedicationRequest m = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                        .setIntent(MedicationRequest.MedicationRequestIntent.ORDER).setMedication(code).setSubject(subject)
                        .setAuthoredOn(when).setRequester(StoredResources.authorOf(r));
                m.addDosageInstruction().setText(String.join(", ", o.field("dose"), o.field("route"), o.field("frequency"),
                                "for " + o.field("duration")) + (text.isEmpty() ? "" : ". " + text))
                        .setRoute(new CodeableConcept().setText(orDefault(o.field("route"), "as directed")));
                m.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield m;
            }
            case OBSERVATION -> {
                Observation ob = new Observation().setStatus(Observation.ObservationStatus.FINAL).setCode(code).setSubject(subject)
                        .setEffective(new DateTimeType(when));
                String value = o.field("value");
                if (!value.isEmpty() && value.matches("-?\\d+(\\.\\d+)?")) {
                    ob.setValue(new Quantity().setValue(new java.math.BigDecimal(value)).setUnit(orDefault(o.field("unit"), null)));
                } else if (!value.isEmpty()) {
                    ob.setValue(new StringType((value + " " + o.field("unit")).strip()));
                }
                if (!text.isEmpty()) {
                    ob.addNote(new Annotation().setText(text));
                }
                ob.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield ob;
            }
            case ALLERGY -> {
                AllergyIntolerance a = new AllergyIntolerance().setClinicalStatus(concept(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")).setCode(code)
                        .setPatient(subject).setRecordedDate(when);
                if (!o.field("reaction").isEmpty()) {
                    var reaction = a.addReaction();
                    reaction.addManifestation().setText(o.field("reaction"));
                    switch (o.field("severity").toLowerCase(Locale.ROOT)) {
                        case "mild" -> reaction.setSeverity(AllergyIntolerance.AllergyIntoleranceSeverity.MILD);
                        case "moderate" -> reaction.setSeverity(AllergyIntolerance.AllergyIntoleranceSeverity.MODERATE);
                        case "severe" -> reaction.setSeverity(AllergyIntolerance.AllergyIntoleranceSeverity.SEVERE);
                        default -> { }
                    }
                }
                if (!text.isEmpty()) {
                    a.addNote(new Annotation().setText(text));
                }
                a.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield a;
            }
            case CONDITION -> {
                Condition c = new Condition().setClinicalStatus(concept("http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "active")).setCode(code).setSubject(subject).setRecordedDate(when);
                if (!text.isEmpty()) {
                    c.addNote(new Annotation().setText(text));
                }
                c.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield c;
            }
            case ENCOUNTER -> {
                Encounter e = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
                        .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
                        .setSubject(subject).setPeriod(new Period().setStart(when));
                e.addType(code);
                e.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield e;
            }
            case PROCEDURE -> {
                Procedure p = new Procedure().setStatus(Procedure.ProcedureStatus.COMPLETED).setCode(code).setSubject(subject)
                        .setPerformed(new DateTimeType(when));
                if (!text.isEmpty()) {
                    p.addNote(new Annotation().setText(text));
                }
                p.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield p;
            }
            default -> {
                DocumentReference d = new DocumentReference().setStatus(Enumerations.DocumentReferenceStatus.CURRENT)
                        .setDescription(code.getText()).setSubject(subject).setDate(when);
                d.addAuthor(StoredResources.authorOf(r));
                d.addContent().setAttachment(new Attachment().setContentType("text/plain; charset=utf-8")
                        .setData(text.getBytes(StandardCharsets.UTF_8)).setTitle(code.getText()));
                d.addIdentifier().setSystem(RECORD_SYSTEM).setValue(r.id());
                yield d;
            }
        };
    }

    /** A patient from their demographics record (or just their id): as registered through FHIR, or mapped. */
    static Patient patient(String patientId, ClinicalRecords.Opened demographics) {
        Map<String, String> fields = demographics == null ? Map.of() : demographics.fields();
        Patient p = new Patient();
        Resource stored = demographics == null ? null : StoredResources.of(demographics);
        if (stored instanceof Patient registered) {
            p = registered;
            p.setMeta(null);
        } else {
            p.setActive(true);
            if (!fields.getOrDefault("name", "").isEmpty()) {
                p.addName().setText(fields.get("name"));
            }
            String contact = fields.getOrDefault("contact", "");
            if (!contact.isEmpty()) {
                p.addTelecom().setSystem(contact.contains("@") ? ContactPoint.ContactPointSystem.EMAIL
                        : ContactPoint.ContactPointSystem.PHONE).setValue(contact);
            }
            if (!fields.getOrDefault("birthDate", "").isEmpty()) {
                p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType(fields.get("birthDate")));
            }
        }
        return identified(p, patientId, demographics == null ? 0 : demographics.record().createdAt());
    }

    /** A patient with their ledger id (as resource id and first identifier) and, if known, when it was committed. */
    static Patient identified(Patient p, String patientId, long committedAt) {
        p.setId("Patient/" + patientId);
        p.getIdentifier().removeIf(i -> PATIENT_SYSTEM.equals(i.getSystem()));
        p.getIdentifier().add(0, new org.hl7.fhir.r4.model.Identifier().setSystem(PATIENT_SYSTEM).setValue(patientId));
        if (committedAt != 0) {
            p.getMeta().setVersionId("1").setLastUpdated(new Date(committedAt));
        }
        return p;
    }

    /**
     * A patient's whole record as a {@code collection} Bundle (the portal's download): the Patient, then every
     * record as its resource, newest first. Each resource has its ledger id, so it can be traced on chain.
     */
    public static String collection(String patientId, List<ClinicalRecords.Opened> records) {
        org.hl7.fhir.r4.model.Bundle b = new org.hl7.fhir.r4.model.Bundle()
                .setType(org.hl7.fhir.r4.model.Bundle.BundleType.COLLECTION).setTimestamp(new Date());
        ClinicalRecords.Opened demographics = records.stream()
                .filter(o -> o.record().category() == Category.DEMOGRAPHICS && !o.record().erased()).findFirst().orElse(null);
        b.addEntry().setFullUrl("urn:ehr-ledger:patient:" + patientId).setResource(patient(patientId, demographics));
        for (ClinicalRecords.Opened o : records) {
            if (!o.record().erased() && o.record().category() != Category.DEMOGRAPHICS) {
                b.addEntry().setFullUrl(RECORD_SYSTEM + ":" + o.record().id()).setResource(resource(o));
            }
        }
        return Fhir.json(b);
    }

    static CodeableConcept concept(String system, String code) {
        return new CodeableConcept().addCoding(new Coding().setSystem(system).setCode(code));
    }

    private static String orDefault(String s, String otherwise) {
        return s == null || s.isBlank() ? otherwise : s;
    }

    // ---- resources in ------------------------------------------------------------------------

    /**
     * A clinical resource as a record to write: its category, a title and text people read in the portal,
     * details (an observation's value, an allergy's reaction, a prescription's dosage) and the resource itself
     * (without id and meta, which the ledger assigns).
     */
    static RecordService.Draft draft(Resource r) {
        String type = r.fhirType();
        Category category = RecordTypes.categoryOf(type);
        if (category == null) {
            throw FhirException.unprocessable(ErrorCode.UNSUPPORTED_TYPE, type + " is not kept as a record");
        }
        Resource kept = r.copy();
        kept.setIdElement(null);
        kept.setMeta(null);
        String json = Fhir.json(kept);
        Map<String, String> details = new LinkedHashMap<>();
        String text = "";
        String title;
        if (r instanceof MedicationRequest m) {
            title = label(m.hasMedicationCodeableConcept() ? m.getMedicationCodeableConcept() : null,
                    m.hasMedicationReference() ? m.getMedicationReference().getDisplay() : null, type);
            Dosage d = m.getDosageInstructionFirstRep();
            String dose = "as directed";
            if (d.hasDoseAndRate() && d.getDoseAndRateFirstRep().hasDoseQuantity()) {
                dose = quantity(d.getDoseAndRateFirstRep().getDoseQuantity());
            }
            String route = d.hasRoute() ? label(d.getRoute(), null, "as directed") : "as directed";
            String frequency = frequency(d.getTiming());
            String duration = "as directed";
            if (m.hasDispenseRequest() && m.getDispenseRequest().hasExpectedSupplyDuration()) {
                duration = quantity(m.getDispenseRequest().getExpectedSupplyDuration());
            } else if (d.hasTiming() && d.getTiming().hasRepeat() && d.getTiming().getRepeat().hasBoundsDuration()) {
                duration = quantity(d.getTiming().getRepeat().getBoundsDuration());
            }
            String instructions = d.hasText() ? d.getText() : d.hasPatientInstruction() ? d.getPatientInstruction() : notes(m.getNote());
            return RecordService.Draft.prescription(cut(title, 200), cut(dose, 100), cut(route, 60), cut(frequency, 100),
                    cut(duration, 100), cut(instructions, 4_000), json);
        } else if (r instanceof Observation o) {
            title = label(o.getCode(), null, type);
            text = notes(o.getNote());
            if (o.hasValueQuantity()) {
                details.put("value", o.getValueQuantity().hasValue() ? o.getValueQuantity().getValue().toPlainString() : "");
                details.put("unit", o.getValueQuantity().hasUnit() ? o.getValueQuantity().getUnit() : o.getValueQuantity().getCode());
            } else if (o.hasValueStringType()) {
                details.put("value", o.getValueStringType().getValue());
            } else if (o.hasValueCodeableConcept()) {
                details.put("value", label(o.getValueCodeableConcept(), null, ""));
            } else if (o.hasComponent()) {
                details.put("value", o.getComponent().stream().filter(c -> c.hasValueQuantity())
                        .map(c -> label(c.getCode(), null, "") + " " + quantity(c.getValueQuantity()))
                        .collect(Collectors.joining("; ")));
            }
        } else if (r instanceof DiagnosticReport d) {
            title = label(d.getCode(), null, type);
            text = d.hasConclusion() ? d.getConclusion() : "";
        } else if (r instanceof AllergyIntolerance a) {
            title = label(a.getCode(), null, type);
            text = notes(a.getNote());
            if (a.hasReaction()) {
                var reaction = a.getReactionFirstRep();
                details.put("reaction", reaction.getManifestation().stream().map(c -> label(c, null, ""))
                        .collect(Collectors.joining(", ")));
                if (reaction.hasSeverity()) {
                    details.put("severity", reaction.getSeverity().toCode());
                }
            }
        } else if (r instanceof Condition c) {
            title = label(c.getCode(), null, type);
            text = notes(c.getNote());
        } else if (r instanceof Encounter e) {
            title = e.hasType() ? label(e.getTypeFirstRep(), null, type)
                    : e.getClass_().hasDisplay() ? e.getClass_().getDisplay() : "Encounter";
            text = e.hasReasonCode() ? label(e.getReasonCodeFirstRep(), null, "") : "";
        } else if (r instanceof Procedure p) {
            title = label(p.getCode(), null, type);
            text = notes(p.getNote());
        } else if (r instanceof Immunization i) {
            title = label(i.getVaccineCode(), null, type);
            text = notes(i.getNote());
        } else if (r instanceof DocumentReference d) {
            Attachment a = d.getContentFirstRep().getAttachment();
            title = d.hasDescription() ? d.getDescription() : a.hasTitle() ? a.getTitle() : label(d.getType(), null, type);
            if (a.hasData() && (!a.hasContentType() || a.getContentType().startsWith("text/"))) {
                text = new String(a.getData(), StandardCharsets.UTF_8);
            }
        } else if (category == Category.PRESCRIPTION) {
            // a medication given, dispensed or taken (or a nutrition or vision order): its dosage stays in the resource
            return RecordService.Draft.prescription(cut(title(r), 200), "as directed", "as directed", "as directed",
                    "as directed", cut(notes(r), 4_000), json);
        } else {
            title = title(r);
            text = notes(r);
        }
        details.values().removeIf(v -> v == null || v.isBlank());
        details.replaceAll((k, v) -> cut(v, 2_000));
        if (json.length() + text.length() > RecordService.MAX_RESOURCE) {
            // a long report or document is kept whole in the resource; the text people read is its beginning
            text = cut(text, 4_000) + "\n[continued in the FHIR resource]";
        }
        return new RecordService.Draft(category.name(), cut(title, 200), cut(text, RecordService.MAX_TEXT), details, json);
    }

    /** Elements that name what a resource is, in the order a title is looked for. */
    private static final List<String> TITLE_ELEMENTS = List.of("code", "vaccineCode", "medication[x]", "type", "category", "name",
            "title", "description");

    /** A title for a resource of any type: its type, and its first code, type, category or name. */
    static String title(Resource r) {
        var definition = Fhir.context().getResourceDefinition(r);
        for (String name : TITLE_ELEMENTS) {
            var child = definition.getChildByName(name);
            if (child == null) {
                continue;
            }
            for (IBase value : child.getAccessor().getValues(r)) {
                String s = text(value);
                if (!s.isBlank()) {
                    return r.fhirType() + ": " + s;
                }
            }
        }
        return r.fhirType();
    }

    private static String text(IBase value) {
        if (value instanceof CodeableConcept c) {
            return label(c, null, "");
        } else if (value instanceof Coding c) {
            return c.hasDisplay() ? c.getDisplay() : orDefault(c.getCode(), "");
        } else if (value instanceof Reference ref) {
            return orDefault(ref.getDisplay(), "");
        } else if (value instanceof HumanName n) {
            return n.hasText() ? n.getText() : n.getNameAsSingleString();
        } else if (value instanceof IPrimitiveType<?> p) {
            return orDefault(p.getValueAsString(), "");
        }
        return "";
    }

    /** The text of a resource's notes, if its type has them. */
    private static String notes(Resource r) {
        var child = Fhir.context().getResourceDefinition(r).getChildByName("note");
        if (child == null) {
            return "";
        }
        return notes(child.getAccessor().getValues(r).stream().filter(Annotation.class::isInstance).map(Annotation.class::cast)
                .toList());
    }

    private static String label(CodeableConcept c, String fallback, String otherwise) {
        if (c != null) {
            if (c.hasText()) {
                return c.getText();
            }
            for (Coding coding : c.getCoding()) {
                if (coding.hasDisplay()) {
                    return coding.getDisplay();
                }
            }
            for (Coding coding : c.getCoding()) {
                if (coding.hasCode()) {
                    return coding.getCode();
                }
            }
        }
        return fallback != null && !fallback.isBlank() ? fallback : otherwise;
    }

    private static String quantity(Quantity q) {
        String value = q.hasValue() ? q.getValue().toPlainString() : "";
        String unit = q.hasUnit() ? q.getUnit() : q.hasCode() ? q.getCode() : "";
        String s = (value + " " + unit).strip();
        return s.isEmpty() ? "as directed" : s;
    }

    private static String frequency(Timing t) {
        if (t == null || t.isEmpty()) {
            return "as directed";
        }
        if (t.hasCode()) {
            return label(t.getCode(), null, "as directed");
        }
        Timing.TimingRepeatComponent r = t.getRepeat();
        if (r.hasFrequency() && r.hasPeriod() && r.hasPeriodUnit()) {
            return r.getFrequency() + " per " + r.getPeriod().stripTrailingZeros().toPlainString() + " " + r.getPeriodUnit().toCode();
        }
        return "as directed";
    }

    private static String notes(List<Annotation> notes) {
        return notes.stream().filter(Annotation::hasText).map(Annotation::getText).collect(Collectors.joining("\n"));
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max);
    }
}

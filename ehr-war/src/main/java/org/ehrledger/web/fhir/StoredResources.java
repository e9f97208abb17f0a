package org.ehrledger.web.fhir;

import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.logging.Logger;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/**
 * The FHIR resource a record was written as, never trusted blindly: it is used only if it parses and is of a
 * type the record's category holds, and what the ledger itself knows overrides what the writer claimed: the
 * subject is the record's patient, the requester, recorder or author is the person who signed the
 * transaction, the dates of recording are the commit time, and the record id is the ledger's. Any other
 * person the resource names (a performer, an asserter, a participant) is kept only if it is that patient or
 * that author. A stored value that cannot be used is logged once and the record is mapped from its fields.
 */
final class StoredResources {

    private static final Logger LOG = Logger.getLogger(StoredResources.class.getName());
    /** Records already logged as holding an unusable resource (bounded: past this, nothing more is logged). */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    static final int MAX_LOGGED = 10_000;

    private StoredResources() {
    }

    /** The stored resource of a record, if it can be used as the record; otherwise null. */
    static Resource of(ClinicalRecords.Opened o) {
        String stored = o.field(RecordService.RESOURCE);
        if (stored.isEmpty()) {
            return null;
        }
        ClinicalRecord r = o.record();
        IBaseResource parsed;
        try {
            parsed = Fhir.context().newJsonParser().parseResource(stored);
        } catch (RuntimeException e) { // HAPI's DataFormatException, and whatever else a malformed value provokes
            unusable(r, "it does not parse as FHIR JSON");
            return null;
        }
        if (!(parsed instanceof Resource resource) || !holds(r.category(), resource)) {
            unusable(r, "a " + parsed.fhirType() + " is not kept as a " + r.category() + " record");
            return null;
        }
        return resource;
    }

    private static boolean holds(Category category, Resource resource) {
        if (category == Category.DEMOGRAPHICS) {
            return resource instanceof Patient;
        }
        return RecordTypes.isRecordType(resource.fhirType()) && RecordTypes.categoriesOf(resource.fhirType()).contains(category);
    }

    private static void unusable(ClinicalRecord r, String why) {
        if (LOGGED.size() < MAX_LOGGED && LOGGED.add(r.id())) {
            LOG.warning("record " + r.id() + " holds a FHIR resource that cannot be used (" + why
                    + "); it is shown mapped from its fields");
        }
    }

    /** The resource with what the ledger knows in place of what the writer claimed (changed in place). */
    static Resource attributed(Resource resource, ClinicalRecord r) {
        Reference subject = Resources.patientReference(r.patient());
        Reference author = authorOf(r);
        Date when = new Date(r.createdAt());
        Set<String> allowed = new java.util.HashSet<>(List.of(subject.getReference(), author.getReference()));
        Predicate<Reference> foreign = ref -> ref != null && !ref.isEmpty() && !allowed.contains(ref.getReference());
        if (resource instanceof MedicationRequest m) {
            m.setSubject(subject).setRequester(author).setAuthoredOn(when).setRecorder(null);
        } else if (resource instanceof Observation o) {
            o.setSubject(subject).setIssued(when);
            o.setPerformer(List.of(author));
        } else if (resource instanceof DiagnosticReport d) {
            d.setSubject(subject).setIssued(when);
            d.setPerformer(List.of(author));
            d.getResultsInterpreter().removeIf(foreign);
        } else if (resource instanceof AllergyIntolerance a) {
            a.setPatient(subject).setRecorder(author).setRecordedDate(when);
            if (foreign.test(a.getAsserter())) {
                a.setAsserter(null);
            }
        } else if (resource instanceof Condition c) {
            c.setSubject(subject).setRecorder(author).setRecordedDate(when);
            if (foreign.test(c.getAsserter())) {
                c.setAsserter(null);
            }
        } else if (resource instanceof Encounter e) {
            e.setSubject(subject);
            e.getParticipant().removeIf(p -> foreign.test(p.getIndividual()));
            if (e.getParticipant().stream().noneMatch(p -> author.getReference().equals(p.getIndividual().getReference()))) {
                e.addParticipant().setIndividual(author);
            }
        } else if (resource instanceof Procedure p) {
            p.setSubject(subject).setRecorder(author);
            if (foreign.test(p.getAsserter())) {
                p.setAsserter(null);
            }
            p.getPerformer().removeIf(x -> foreign.test(x.getActor()));
        } else if (resource instanceof Immunization i) {
            i.setPatient(subject).setRecorded(when);
            i.getPerformer().removeIf(x -> foreign.test(x.getActor()));
            if (i.getPerformer().isEmpty()) {
                i.addPerformer().setActor(author);
            }
        } else if (resource instanceof DocumentReference d) {
            d.setSubject(subject).setDate(when);
            d.setAuthor(List.of(author));
            d.setAuthenticator(null);
        }
        resource.setMeta(null); // the ledger sets version and commit time; no labels or tags from the writer
        ledgerIdentifier(resource, r.id());
        return resource;
    }

    /** Who signed the record's transaction: the patient themselves, or a practitioner. */
    static Reference authorOf(ClinicalRecord r) {
        return new Reference((r.author().equals(r.patient()) ? "Patient/" : "Practitioner/") + r.author());
    }

    /** The record id as the resource's ledger identifier (a claimed one is replaced). */
    private static void ledgerIdentifier(Resource resource, String recordId) {
        if (Fhir.context().getResourceDefinition(resource).getChildByName("identifier") == null) {
            return; // a type without identifiers (Provenance): its id is the record id
        }
        var terser = Fhir.context().newTerser();
        List<Identifier> ids = terser.getValues(resource, "identifier", Identifier.class);
        ids.stream().filter(i -> Resources.RECORD_SYSTEM.equals(i.getSystem())).forEach(i -> i.setValue(recordId));
        if (ids.stream().noneMatch(i -> Resources.RECORD_SYSTEM.equals(i.getSystem()))) {
            ((Identifier) terser.addElement(resource, "identifier")).setSystem(Resources.RECORD_SYSTEM).setValue(recordId);
        }
    }
}

package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.RecordService;

/**
 * A transaction Bundle of one patient's records (as other EHRs and synthetic data generators export them),
 * planned before anything is written: the patient is identified, every entry is a supported record type
 * created with POST, references between entries ({@code urn:uuid:...}) are resolved to the ledger ids the
 * records will have, and every record refers to the same patient. The records then commit together.
 *
 * @param patientId the patient
 * @param drafts    the records to write, in bundle order
 * @param entries   per bundle entry, the location it gets ({@code Patient/<id>} or {@code <type>/<record id>})
 * @param warnings  the validator's warnings about the entries, reported in the response
 * @param batch     whether the bundle is a batch (answered with a batch-response)
 */
record Transaction(String patientId, List<RecordService.Draft> drafts, List<String> entries,
                   List<SingleValidationMessage> warnings, boolean batch) {

    /** Plans a bundle's records with new random ids. */
    static Transaction plan(Bundle bundle, String callerPatient) {
        return plan(bundle, callerPatient, n -> org.ehrledger.ejb.application.service.Ids.record());
    }

    /**
     * Plans a bundle's records; the {@code n}-th record gets the id {@code ids} gives (derived from the bundle, so
     * that the same bundle sent again names the same records).
     */
    static Transaction plan(Bundle bundle, String callerPatient, java.util.function.IntFunction<String> ids) {
        Map<String, String> resolved = new HashMap<>();
        String patientId = null;
        List<Resource> recordResources = new ArrayList<>();
        List<String> recordIds = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        List<Bundle.BundleEntryComponent> list = bundle.getEntry();
        for (int i = 0; i < list.size(); i++) {
            Bundle.BundleEntryComponent e = list.get(i);
            Resource r = e.getResource();
            String where = "entry " + i;
            if (r == null) {
                throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, where + " has no resource");
            }
            String type = r.fhirType();
            Bundle.HTTPVerb method = e.getRequest().getMethod();
            if (r instanceof Patient p) {
                if (patientId != null) {
                    throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, where + ": a transaction holds one patient's records");
                }
                patientId = patientIdOf(p, e);
                if (patientId == null) {
                    throw FhirException.unprocessable(ErrorCode.UNKNOWN_PATIENT, where + " would register a new patient: register them "
                            + "first (POST /fhir/r4/Patient, by the registration desk), then send their records with the "
                            + "Patient entry as request PUT Patient/<patient id> or with identifier " + Resources.PATIENT_SYSTEM
                            + "|<patient id>");
                }
                if (e.hasFullUrl()) {
                    resolved.put(e.getFullUrl(), "Patient/" + patientId);
                }
                entries.add("Patient/" + patientId);
                continue;
            }
            if (!RecordTypes.isRecordType(type)) {
                throw FhirException.unprocessable(ErrorCode.UNSUPPORTED_TYPE, where + ": " + type + " is not kept by EHR Ledger: a "
                        + "transaction holds a Patient and resources of that patient's record (the types of the R4 Patient "
                        + "compartment and the reference data they point at; see docs/FHIR.md)");
            }
            if (method != Bundle.HTTPVerb.POST) {
                throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, where + ": records are created with POST; the ledger never "
                        + "changes or deletes a committed record in place");
            }
            String id = ids.apply(recordIds.size());
            if (e.hasFullUrl()) {
                resolved.put(e.getFullUrl(), type + "/" + id);
            }
            recordResources.add(r);
            recordIds.add(id);
            entries.add(type + "/" + id);
        }
        List<RecordService.Draft> drafts = new ArrayList<>();
        for (int i = 0; i < recordResources.size(); i++) {
            Resource r = recordResources.get(i);
            for (Reference ref : Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
                String target = ref.getReference();
                if (target == null) {
                    continue;
                }
                if (resolved.containsKey(target)) {
                    ref.setReference(resolved.get(target));
                } else if (target.startsWith("urn:")) {
                    throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, r.fhirType() + " refers to " + target
                            + ", which is not an entry of this bundle");
                }
            }
            if (RecordTypes.isReferenceData(r.fhirType())) {
                drafts.add(Resources.draft(r).withId(recordIds.get(i))); // kept with the records that point at it
                continue;
            }
            Reference subject = RecordTypes.subjectOf(r);
            String about = subject == null || subject.getReference() == null ? "" : subject.getReference();
            if (patientId == null && about.startsWith("Patient/")) {
                patientId = about.substring("Patient/".length());
            }
            if (!about.equals("Patient/" + patientId)) {
                throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "every record of a transaction refers to its one patient; a "
                        + r.fhirType() + " refers to '" + about + "'");
            }
            drafts.add(Resources.draft(r).withId(recordIds.get(i)));
        }
        if (patientId == null) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "the bundle names no patient");
        }
        if (callerPatient != null && !callerPatient.equals(patientId)) {
            throw FhirException.forbidden("a patient sends records of their own only");
        }
        return new Transaction(patientId, drafts, entries, List.of(), bundle.getType() == Bundle.BundleType.BATCH);
    }

    /** The same plan, its response reporting the validator's {@code warnings}. */
    Transaction answering(List<SingleValidationMessage> warnings) {
        return new Transaction(patientId, drafts, entries, warnings, batch);
    }

    /** The same plan without its drafts (what answering needs, once the drafts are handed to the import). */
    Transaction withoutDrafts() {
        return new Transaction(patientId, List.of(), entries, warnings, batch);
    }

    /** A conditional reference by identifier, {@code Type?identifier=system|value}, as exporters write them. */
    private static final java.util.regex.Pattern CONDITIONAL = java.util.regex.Pattern.compile(
            "([A-Z][A-Za-z]+)\\?identifier=([^|&]*)\\|([^&]+)");

    /**
     * Resolves a bundle's conditional references by identifier ({@code Organization?identifier=system|value}, as
     * Synthea refers to its hospitals and clinicians): to the entry of that type with that identifier where the
     * bundle has one, else to a logical reference (the type and the identifier, the reference itself removed),
     * since the ledger does not search other patients' records for a match. Run before validation: a conditional
     * reference is valid only inside a transaction, and the records are validated and kept one by one.
     */
    static void resolveConditionalReferences(Bundle bundle) {
        Map<String, String> byIdentifier = new HashMap<>();
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            if (e.getResource() != null && e.hasFullUrl()
                    && Fhir.context().getResourceDefinition(e.getResource()).getChildByName("identifier") != null) {
                for (Identifier id : Fhir.context().newTerser().getValues(e.getResource(), "identifier", Identifier.class)) {
                    byIdentifier.putIfAbsent(e.getResource().fhirType() + "?identifier=" + id.getSystem() + "|" + id.getValue(),
                            e.getFullUrl());
                }
            }
        }
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            if (e.getResource() == null) {
                continue;
            }
            for (Reference ref : Fhir.context().newTerser().getAllPopulatedChildElementsOfType(e.getResource(), Reference.class)) {
                String target = ref.getReference();
                java.util.regex.Matcher m = target == null ? null : CONDITIONAL.matcher(target);
                if (m == null || !m.matches()) {
                    continue;
                }
                String entry = byIdentifier.get(target);
                if (entry != null) {
                    ref.setReference(entry);
                } else {
                    ref.setReference(null).setType(m.group(1)).setIdentifier(new Identifier().setSystem(m.group(2).isEmpty() ? null
                            : m.group(2)).setValue(m.group(3)));
                }
            }
        }
    }

    /** The ledger id a bundle's Patient entry names, if any (a PUT to it, a conditional create, or an identifier). */
    private static String patientIdOf(Patient p, Bundle.BundleEntryComponent e) {
        String url = e.getRequest().getUrl();
        if (e.getRequest().getMethod() == Bundle.HTTPVerb.PUT && url != null && url.startsWith("Patient/")) {
            return url.substring("Patient/".length());
        }
        String condition = e.getRequest().getIfNoneExist();
        String prefix = "identifier=" + Resources.PATIENT_SYSTEM + "|";
        if (condition != null && condition.startsWith(prefix)) {
            return condition.substring(prefix.length());
        }
        for (Identifier i : p.getIdentifier()) {
            if (Resources.PATIENT_SYSTEM.equals(i.getSystem()) && i.hasValue()) {
                return i.getValue();
            }
        }
        return null;
    }

    /**
     * The transaction-response: one entry per bundle entry, in order, each with the validator's warnings about
     * it (a declared profile not checked) as its outcome.
     */
    Bundle response(List<String> recordIds) {
        Bundle b = new Bundle().setType(batch ? Bundle.BundleType.BATCHRESPONSE : Bundle.BundleType.TRANSACTIONRESPONSE);
        b.setId(java.util.UUID.randomUUID().toString());
        Date now = new Date();
        Map<Integer, List<SingleValidationMessage>> byEntry = new HashMap<>();
        for (SingleValidationMessage m : warnings) {
            java.util.regex.Matcher at = m.getLocationString() == null ? null : ENTRY.matcher(m.getLocationString());
            if (at != null && at.lookingAt()) {
                byEntry.computeIfAbsent(Integer.valueOf(at.group(1)), k -> new ArrayList<>()).add(m);
            }
        }
        int record = 0;
        for (int i = 0; i < entries.size(); i++) {
            String location = entries.get(i);
            Bundle.BundleEntryResponseComponent response = b.addEntry().getResponse();
            List<SingleValidationMessage> mine = byEntry.get(i);
            if (mine != null) {
                OperationOutcome o = new OperationOutcome();
                Outcomes.warn(o, mine, "Bundle.entry[" + i + "].");
                response.setOutcome(o);
            }
            if (location.startsWith("Patient/")) {
                response.setStatus("200 OK").setLocation(location);
            } else {
                String id = recordIds.get(record++);
                response.setStatus("201 Created").setLocation(location + "/_history/1").setEtag("W/\"1\"").setLastModified(now);
                if (!location.endsWith("/" + id)) {
                    throw new IllegalStateException("records committed out of order");
                }
            }
        }
        return b;
    }

    /** The entry a validator's location names ({@code Bundle.entry[3]...}). */
    private static final java.util.regex.Pattern ENTRY = java.util.regex.Pattern.compile("Bundle\\.entry\\[(\\d+)\\]");
}

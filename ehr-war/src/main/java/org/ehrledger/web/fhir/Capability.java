package org.ehrledger.web.fhir;

import java.util.Date;
import java.util.Set;

import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.hl7.fhir.r4.model.Enumerations;

/** What the facade supports, as its CapabilityStatement ({@code GET /fhir/r4/metadata}). */
final class Capability {

    /** Kept types the directory (or the ledger) also serves: listed once, with both kinds of search. */
    private static final Set<String> DIRECTORY = Set.of("Practitioner", "Organization", "Provenance", "Group");

    private Capability() {
    }

    static CapabilityStatement statement(String base) {
        CapabilityStatement c = new CapabilityStatement();
        c.setId("CapabilityStatement/ehr-ledger");
        c.setUrl(base + "/metadata");
        c.setName("EHRLedgerFhirFacade");
        c.setTitle("EHR Ledger FHIR R4 facade");
        c.setStatus(Enumerations.PublicationStatus.ACTIVE);
        c.setDate(new Date());
        c.setPublisher("EHR Ledger");
        c.setDescription("Clinical records of a permissioned PBFT ledger, decrypted for the caller under the patient's consent, "
                + "break-glass access or the emergency state. Every read of clinical content is committed to the ledger as an "
                + "access event before anything is returned; every write is committed before it is acknowledged.");
        c.setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE);
        c.getSoftware().setName("EHR Ledger").setVersion("0.1.0");
        c.getImplementation().setDescription("EHR Ledger replica").setUrl(base);
        c.setFhirVersion(Enumerations.FHIRVersion._4_0_1);
        c.addFormat("application/fhir+json");
        c.addFormat("application/fhir+xml");
        CapabilityStatement.CapabilityStatementRestComponent rest = c.addRest()
                .setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        org.ehrledger.web.smart.SmartConfiguration.describe(rest.getSecurity(), base);
        rest.getSecurity().setDescription("SMART on FHIR (see .well-known/smart-configuration): an app registered by an "
                + "administrator gets an access token by the authorization-code flow with PKCE, or a backend service by the "
                + "client-credentials grant with a signed JWT; its scopes narrow what the person may do. Or send "
                + "'Authorization: Bearer <token>' with the token from POST /api/v1/sessions "
                + "(a person's or an integration account's user id and password). Practitioners may state why they read in "
                + "the X-Access-Reason header; it is recorded with the read.");
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.TRANSACTION)
                .setDocumentation("A transaction Bundle of one patient's records (any type of the Patient compartment, and "
                        + "the organisations, practitioners, locations and medications they point at), checked and validated "
                        + "as a whole, then committed all or nothing: in one consensus request when they fit, else staged in "
                        + "as many as needed and published at once (up to 20,000 records, 64 MiB). The same bundle sent again "
                        + "creates nothing new. 'Prefer: respond-async' answers 202 with a status URL (X-Progress in entries and "
                        + "percent). A declared profile the server does not have is not checked: the entry's response.outcome "
                        + "says so as a warning");
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH)
                .setDocumentation("A batch Bundle is taken as a transaction: all or nothing");
        for (String type : RecordTypes.types()) {
            if (DIRECTORY.contains(type)) {
                continue; // below, with the ledger's own
            }
            CapabilityStatementRestResourceComponent r = RecordTypes.isReferenceData(type)
                    ? resource(rest, type, TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE)
                    : resource(rest, type, TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE,
                    TypeRestfulInteraction.CREATE);
            r.setDocumentation("Kept as a record of category " + RecordTypes.categoryOf(type)
                    + (RecordTypes.isReferenceData(type) ? " (sent in a patient's transaction bundle)" : ""));
            search(r, "patient", Enumerations.SearchParamType.REFERENCE, "The patient (required for practitioners)");
            search(r, "subject", Enumerations.SearchParamType.REFERENCE, "The patient, as Patient/<id>");
            search(r, "_id", Enumerations.SearchParamType.TOKEN, "Record id");
            search(r, "_lastUpdated", Enumerations.SearchParamType.DATE, "When the ledger committed the record (ge, gt, le, lt)");
            search(r, "_count", Enumerations.SearchParamType.NUMBER, "Page size, 1 to 200");
            for (String name : Search.contentOf(type)) {
                String as = "As the base specification defines it for " + type;
                switch (name) {
                    case "date" -> search(r, name, Enumerations.SearchParamType.DATE, as + " (eq, ge, gt, le, lt)");
                    case "encounter" -> search(r, name, Enumerations.SearchParamType.REFERENCE, as + ": <id> or Encounter/<id>");
                    default -> search(r, name, Enumerations.SearchParamType.TOKEN, as + ": system|code, code, |code or system|; "
                            + "a comma means any");
                }
            }
            search(r, "_sort", Enumerations.SearchParamType.SPECIAL, "_lastUpdated or date, - for descending (default: "
                    + "newest committed first)");
        }
        CapabilityStatementRestResourceComponent patient = resource(rest, "Patient", TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE);
        patient.addOperation().setName("everything").setDefinition("http://hl7.org/fhir/OperationDefinition/Patient-everything");
        patient.addOperation().setName("export")
                .setDefinition("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export");
        patient.addOperation().setName("import").setDefinition("urn:ehr-ledger:operation:patient-import")
                .setDocumentation("POST Patient/{id}/$import with application/fhir+ndjson: one patient's resources, one a line, "
                        + "imported as a transaction bundle of them (all or nothing, once; Prefer: respond-async); a bad line is "
                        + "named by its number");
        search(patient, "_id", Enumerations.SearchParamType.TOKEN, "Patient id");
        search(patient, "identifier", Enumerations.SearchParamType.TOKEN, Resources.PATIENT_SYSTEM + "|<patient id>");
        search(patient, "name", Enumerations.SearchParamType.STRING, "Full name (with birthdate; among patients who consented to you)");
        search(patient, "birthdate", Enumerations.SearchParamType.DATE, "Date of birth");
        CapabilityStatementRestResourceComponent consent = resource(rest, "Consent", TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE, TypeRestfulInteraction.DELETE);
        search(consent, "patient", Enumerations.SearchParamType.REFERENCE, "The patient (themselves)");
        search(resource(rest, "AuditEvent", TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE), "patient",
                Enumerations.SearchParamType.REFERENCE, "The patient (themselves): who read their record");
        String kept = "The patient whose records a bundle brought it with (reference data)";
        search(search(resource(rest, "Provenance", TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE), "target",
                Enumerations.SearchParamType.REFERENCE, "The record, as <type>/<id>: its block, transaction and receipt"),
                "patient", Enumerations.SearchParamType.REFERENCE, kept);
        search(search(resource(rest, "Practitioner", TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE), "_id",
                Enumerations.SearchParamType.TOKEN, "User id"), "patient", Enumerations.SearchParamType.REFERENCE, kept);
        search(search(resource(rest, "Organization", TypeRestfulInteraction.READ, TypeRestfulInteraction.SEARCHTYPE), "_id",
                Enumerations.SearchParamType.TOKEN, "Organisation id"), "patient", Enumerations.SearchParamType.REFERENCE, kept);
        CapabilityStatementRestResourceComponent group = resource(rest, "Group", TypeRestfulInteraction.READ,
                TypeRestfulInteraction.SEARCHTYPE);
        group.setDocumentation("Group/<organisation id>: the patients who consented to the organisation, for its practitioners; "
                + "a Group a patient's bundle brought is read by its record id");
        group.addOperation().setName("export").setDefinition("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export");
        search(group, "patient", Enumerations.SearchParamType.REFERENCE, kept);
        return c;
    }

    private static CapabilityStatementRestResourceComponent resource(CapabilityStatement.CapabilityStatementRestComponent rest,
                                                                     String type, TypeRestfulInteraction... interactions) {
        CapabilityStatementRestResourceComponent r = rest.addResource().setType(type)
                .setVersioning(CapabilityStatement.ResourceVersionPolicy.NOVERSION).setReadHistory(false)
                .setUpdateCreate(false);
        for (TypeRestfulInteraction i : interactions) {
            r.addInteraction().setCode(i);
        }
        return r;
    }

    private static CapabilityStatementRestResourceComponent search(CapabilityStatementRestResourceComponent r, String name,
                                                                   Enumerations.SearchParamType type, String documentation) {
        r.addSearchParam().setName(name).setType(type).setDocumentation(documentation);
        return r;
    }
}

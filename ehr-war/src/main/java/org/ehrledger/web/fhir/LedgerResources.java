package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;

import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.domain.model.record.Category;

/**
 * What the ledger itself knows, as FHIR: people and organisations of the registry, consents, the access
 * log (AuditEvent) and where a record was committed (Provenance).
 */
final class LedgerResources {

    private static final String ORGANISATION_PREFIX = "org:";

    private LedgerResources() {
    }

    static Practitioner practitioner(NetworkService.Person p) {
        Practitioner r = new Practitioner();
        r.setId("Practitioner/" + p.userId());
        r.addIdentifier().setSystem(Resources.USER_SYSTEM).setValue(p.userId());
        r.setActive(!p.revoked());
        if (!p.name().isEmpty()) {
            r.addName().setText(p.name());
        }
        return r;
    }

    static Organization organisation(NetworkService.Member m) {
        Organization o = new Organization();
        o.setId("Organization/" + m.id());
        o.addIdentifier().setSystem(Resources.ORGANISATION_SYSTEM).setValue(m.id());
        o.setActive(true).setName(m.name());
        return o;
    }

    /** A reference to a consent's grantee: a practitioner (or billing clerk), or a whole organisation. */
    static Reference grantee(String grantee, String display) {
        Reference r = grantee.startsWith(ORGANISATION_PREFIX)
                ? new Reference("Organization/" + grantee.substring(ORGANISATION_PREFIX.length()))
                : new Reference("Practitioner/" + grantee);
        return display == null || display.isEmpty() ? r : r.setDisplay(display);
    }

    static Consent consent(String patientId, PatientService.ConsentView c) {
        Consent r = new Consent();
        r.setId("Consent/" + c.consentId());
        r.addIdentifier().setSystem(Resources.CONSENT_SYSTEM).setValue(c.consentId());
        r.setStatus(c.status().equals("Active") ? Consent.ConsentState.ACTIVE : Consent.ConsentState.INACTIVE);
        r.setScope(Resources.concept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"));
        r.addCategory(Resources.concept("http://loinc.org", "59284-0"));
        r.setPatient(Resources.patientReference(patientId));
        r.setPolicyRule(Resources.concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"));
        Consent.ProvisionComponent provision = r.getProvision().setType(Consent.ConsentProvisionType.PERMIT);
        provision.addActor().setRole(Resources.concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"))
                .setReference(grantee(c.grantee(), c.granteeName()));
        if (c.expiresAt() != 0) {
            provision.setPeriod(new Period().setEnd(new Date(c.expiresAt())));
        }
        for (String category : c.categories()) {
            provision.addCode(Resources.concept(Resources.CATEGORY_SYSTEM, category));
        }
        return r;
    }

    /** A consent to grant, read from a Consent resource: grantee, categories and expiry. */
    record Grant(String grantee, List<String> categories, long expiresAt) {
    }

    static Grant grant(Consent c, String patientId) {
        if (!c.hasPatient() || !("Patient/" + patientId).equals(c.getPatient().getReference())) {
            throw FhirException.forbidden("a patient grants consent to their own record only: Consent.patient must be Patient/"
                    + patientId);
        }
        if (c.getProvision().getType() == Consent.ConsentProvisionType.DENY) {
            throw FhirException.unprocessable(ErrorCode.UNSUPPORTED, "only permit consents are granted; to withdraw one, DELETE it");
        }
        if (c.getProvision().getActor().size() != 1 || !c.getProvision().getActorFirstRep().getReference().hasReference()) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "name exactly one grantee in Consent.provision.actor: "
                    + "Practitioner/<user id> or Organization/<organisation id>");
        }
        String ref = c.getProvision().getActorFirstRep().getReference().getReference();
        String grantee;
        if (ref.startsWith("Practitioner/")) {
            grantee = ref.substring("Practitioner/".length());
        } else if (ref.startsWith("Organization/")) {
            grantee = ORGANISATION_PREFIX + ref.substring("Organization/".length());
        } else {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "the grantee is Practitioner/<user id> or Organization/<id>, not "
                    + ref);
        }
        List<String> categories = new ArrayList<>();
        for (CodeableConcept code : c.getProvision().getCode()) {
            for (Coding coding : code.getCoding()) {
                if (Resources.CATEGORY_SYSTEM.equals(coding.getSystem())) {
                    categories.add(coding.getCode());
                }
            }
        }
        if (categories.isEmpty()) {
            throw FhirException.unprocessable(ErrorCode.INVALID_INPUT, "name the categories in Consent.provision.code with system "
                    + Resources.CATEGORY_SYSTEM + " (" + String.join(", ", java.util.Arrays.stream(Category.values())
                    .map(Enum::name).toList()) + ")");
        }
        long expires = c.getProvision().hasPeriod() && c.getProvision().getPeriod().hasEnd()
                ? c.getProvision().getPeriod().getEnd().getTime() : 0;
        return new Grant(grantee, categories, expires);
    }

    /** One entry of the patient's access log; its id is the patient id and the entry's position. */
    static AuditEvent audit(String patientId, int position, PatientService.Access a) {
        AuditEvent e = new AuditEvent();
        e.setId("AuditEvent/" + patientId + "." + position);
        e.setType(new Coding("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record"));
        e.addSubtype(new Coding("http://hl7.org/fhir/restful-interaction", "read", "read"));
        e.setAction(AuditEvent.AuditEventAction.R);
        e.setRecorded(new Date(a.at()));
        e.setOutcome(AuditEvent.AuditEventOutcome._0); // refused reads are refused transactions, not log entries
        e.setOutcomeDesc(a.reason());
        String purpose = switch (a.basis()) {
            case "BREAK_GLASS", "EMERGENCY" -> "ETREAT";
            default -> a.reason().startsWith("Billing") ? "HPAYMT" : "TREAT";
        };
        e.addPurposeOfEvent(Resources.concept("http://terminology.hl7.org/CodeSystem/v3-ActReason", purpose));
        AuditEvent.AuditEventAgentComponent agent = e.addAgent().setRequestor(true);
        agent.setWho(new Reference(a.reader().equals(patientId) ? "Patient/" + a.reader() : "Practitioner/" + a.reader())
                .setDisplay(a.readerName().isEmpty() ? null : a.readerName()));
        agent.setType(Resources.concept("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser"));
        agent.setName(a.readerName().isEmpty() ? null : a.readerName());
        // Who vouched for the reader: the administrator who registered the account and the one who confirmed it.
        if (!a.registeredBy().isEmpty()) {
            e.addAgent().setRequestor(false).setWho(new Reference().setDisplay(a.registeredBy()))
                    .setType(new org.hl7.fhir.r4.model.CodeableConcept().setText("registered the reader's account"));
        }
        if (!a.confirmedBy().isEmpty()) {
            e.addAgent().setRequestor(false).setWho(new Reference().setDisplay(a.confirmedBy()))
                    .setType(new org.hl7.fhir.r4.model.CodeableConcept().setText("confirmed the reader's registration"));
        }
        e.getSource().setSite(a.organisation()).setObserver(new Reference().setDisplay("EHR Ledger (" + a.organisation() + ")"));
        e.addEntity().setWhat(Resources.patientReference(patientId))
                .setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"))
                .setDescription(a.category().toLowerCase(Locale.ROOT) + " (" + a.basis().toLowerCase(Locale.ROOT).replace('_', ' ')
                        + ")");
        return e;
    }

    /** Where a record is on chain: its block and transaction, and whether this replica verified the receipt. */
    static Provenance provenance(String type, String author, boolean authorIsPatient, ClinicalRecords.RecordReceipt r) {
        Provenance p = new Provenance();
        p.setId("Provenance/" + r.recordId());
        p.addTarget(new Reference(type + "/" + r.recordId()));
        p.setRecorded(new Date(r.committedAt()));
        p.setActivity(Resources.concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE"));
        p.addAgent().setType(Resources.concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author"))
                .setWho(new Reference((authorIsPatient ? "Patient/" : "Practitioner/") + author));
        String verdict = r.verified() ? "receipt verified by this replica (Merkle proof and commit certificate)"
                : "receipt not verified: " + r.problem();
        p.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(new Reference()
                .setIdentifier(new Identifier().setSystem(Resources.TRANSACTION_SYSTEM).setValue(r.transactionId()))
                .setDisplay("transaction " + r.index() + " of block " + r.height() + "; " + verdict));
        p.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(new Reference()
                .setIdentifier(new Identifier().setSystem(Resources.BLOCK_SYSTEM).setValue(String.valueOf(r.height())))
                .setDisplay("block " + r.height() + " (hash " + r.blockHash() + "); receipt at /api/v1/receipts/" + r.height()
                        + "/" + r.index()));
        return p;
    }
}

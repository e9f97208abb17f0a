package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.domain.model.record.Category;

/**
 * A patient's consents (Consent: read, search, grant, withdraw) and their access log (AuditEvent: who read
 * their record, when and why). Only the patient sees and manages them.
 */
final class Consents {

    private static final String ORGANISATION_PREFIX = org.ehrledger.ejb.domain.model.record.Consent.ORGANISATION;

    private final FhirRequest request;

    Consents(FhirRequest request) {
        this.request = request;
    }

    Consent consent(String id) {
        return mine().stream().filter(c -> c.getIdElement().getIdPart().equals(id)).findFirst()
                .orElseThrow(() -> FhirException.notFound("you have no consent " + id));
    }

    AuditEvent auditEvent(String id) {
        return accessLog().stream().filter(e -> e.getIdElement().getIdPart().equals(id)).findFirst()
                .orElseThrow(() -> FhirException.notFound("your access log has no entry " + id));
    }

    List<Resource> searchConsents(MultivaluedMap<String, String> q) {
        Search.allow(q, "patient");
        requireSelf(q.getFirst("patient"), "consents");
        return new ArrayList<>(mine());
    }

    List<Resource> searchAccessLog(MultivaluedMap<String, String> q) {
        Search.allow(q, "patient");
        requireSelf(q.getFirst("patient"), "the access log");
        return new ArrayList<>(accessLog());
    }

    /** Grants the consent a patient sent: 201 with the consent as committed. */
    Response grant(Consent c) {
        request.requirePatient("consents");
        Grant g = requested(c, request.caller());
        PatientService.Granted granted = request.patients().grantConsent(g.grantee(), g.categories(), g.expiresAt());
        Consent created = mine().stream().filter(x -> x.getIdElement().getIdPart().equals(granted.consentId())).findFirst()
                .orElseThrow(() -> new IllegalStateException("consent " + granted.consentId() + " committed but not found"));
        created.getMeta().setVersionId("1").setLastUpdated(new Date());
        return request.created(created, granted.committed().height());
    }

    /** Withdraws one of the patient's consents. */
    Response withdraw(String id) {
        request.requirePatient("consents");
        var committed = request.patients().revokeConsent(id);
        return Response.ok(Outcomes.of(OperationOutcome.IssueSeverity.INFORMATION, OperationOutcome.IssueType.INFORMATIONAL,
                "WITHDRAWN", "consent " + id + " withdrawn in block " + committed.height())).build();
    }

    private List<Consent> mine() {
        request.requirePatient("consents");
        String me = request.caller();
        return request.patients().consents().stream().map(c -> consent(me, c)).toList();
    }

    private List<AuditEvent> accessLog() {
        request.requirePatient("the access log");
        String me = request.caller();
        List<PatientService.Access> log = request.patients().accessLog();
        List<AuditEvent> out = new ArrayList<>(log.size());
        for (int i = 0; i < log.size(); i++) {
            out.add(audit(me, log.size() - i, log.get(i)));
        }
        return out;
    }

    /** Only the patient sees {@code what}, and a {@code patient} search parameter must name them. */
    private void requireSelf(String patientParam, String what) {
        request.requirePatient(what);
        if (patientParam != null && !request.isSelf(Search.patient(request, patientParam))) {
            throw FhirException.forbidden("a patient sees only their own consents and access log");
        }
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

    /** A consent to grant, as a Consent resource asks: grantee, categories and expiry. */
    record Grant(String grantee, List<String> categories, long expiresAt) {
    }

    static Grant requested(Consent c, String patientId) {
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
                    + Resources.CATEGORY_SYSTEM + " (" + String.join(", ", Arrays.stream(Category.values())
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
                    .setType(new CodeableConcept().setText("registered the reader's account"));
        }
        if (!a.confirmedBy().isEmpty()) {
            e.addAgent().setRequestor(false).setWho(new Reference().setDisplay(a.confirmedBy()))
                    .setType(new CodeableConcept().setText("confirmed the reader's registration"));
        }
        e.getSource().setSite(a.organisation()).setObserver(new Reference().setDisplay("EHR Ledger (" + a.organisation() + ")"));
        e.addEntity().setWhat(Resources.patientReference(patientId))
                .setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"))
                .setDescription(a.category().toLowerCase(Locale.ROOT) + " (" + a.basis().toLowerCase(Locale.ROOT).replace('_', ' ')
                        + ")");
        return e;
    }
}

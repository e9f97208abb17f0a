package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * One patient's resources as NDJSON ({@code POST Patient/{id}/$import}, {@code application/fhir+ndjson}: one
 * resource a line, as a Bulk Data export writes them), turned into the transaction bundle the whole-history
 * import takes ({@link Transactions}): entry 0 names the patient, entry {@code n} is line {@code n}, and a
 * reference {@code <type>/<id>} to another line's resource is resolved to it. The bundle's hash is the NDJSON's,
 * so the same NDJSON sent again creates nothing. Errors name the line ({@link #byLine}).
 */
final class NdjsonImport {

    /** The media type of an NDJSON import's body. */
    static final String NDJSON = BulkExport.NDJSON;

    /** A bundle location ({@code Bundle.entry[3].resource}, with the validator's comment naming the resource) or a planner's {@code entry 3}. */
    private static final Pattern ENTRY = Pattern.compile("Bundle\\.entry\\[(\\d+)\\](?:\\.resource(?:/\\*.*?\\*/)?)?\\.?|\\bentry (\\d+)\\b");

    /** User data of an entry: the NDJSON line it came from. */
    private static final String LINE = "ehr-ledger.ndjson-line";

    private NdjsonImport() {
    }

    /**
     * The transaction bundle of these NDJSON lines for {@code patientId}: a 400 naming the first line that is not a
     * FHIR R4 resource in JSON, a 422 naming a line holding another patient or a resource id twice. Blank lines are
     * skipped (and counted). A Patient line is taken as the patient the URL names (the sender's own id for them, so
     * that references to it resolve) and dropped: their registered details are not changed by an import.
     */
    static Bundle bundle(String patientId, byte[] ndjson) {
        if (ndjson.length == 0) {
            throw FhirException.invalid("the body is empty: send one FHIR resource as JSON on each line (" + NDJSON + ")");
        }
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(Resources.PATIENT_SYSTEM).setValue(patientId);
        b.addEntry().setFullUrl(urn("Patient/" + patientId)).setResource(patient).getRequest()
                .setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + patientId);
        List<Resource> resources = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        Map<String, String> fullUrls = new HashMap<>();
        String patientUrl = b.getEntryFirstRep().getFullUrl();
        String sendersPatient = null;
        String[] text = new String(ndjson, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < text.length; i++) {
            String line = text[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            int n = i + 1;
            Resource r;
            try {
                r = (Resource) Fhir.parser(false).parseResource(line);
            } catch (DataFormatException | ClassCastException e) {
                throw lineError(400, OperationOutcome.IssueType.STRUCTURE, ErrorCode.INVALID_INPUT, n,
                        "not a FHIR R4 resource in JSON (" + FhirProviders.trim(e.getMessage()) + "); nothing was imported");
            }
            String own = r.hasIdElement() && r.getIdElement().hasIdPart() ? r.fhirType() + "/" + r.getIdElement().getIdPart() : null;
            if (r instanceof Patient p) {
                if (!ownPatient(p, patientId) || (sendersPatient != null && !sendersPatient.equals(own))) {
                    throw lineError(422, OperationOutcome.IssueType.PROCESSING, ErrorCode.INVALID_INPUT, n, "a Patient other "
                            + "than Patient/" + patientId + ": an import holds one patient's resources; nothing was imported");
                }
                sendersPatient = own == null ? "Patient/" + patientId : own;
                fullUrls.put(sendersPatient, patientUrl);
                continue;
            }
            if (own != null && fullUrls.put(own, urn(own)) != null) {
                throw lineError(422, OperationOutcome.IssueType.DUPLICATE, ErrorCode.INVALID_INPUT, n, own + " is on an earlier "
                        + "line too; each resource is sent once; nothing was imported");
            }
            resources.add(r);
            lines.add(n);
        }
        if (resources.isEmpty()) {
            throw FhirException.invalid("the body holds no resource to import: send one FHIR resource as JSON on each line");
        }
        for (int k = 0; k < resources.size(); k++) {
            Resource r = resources.get(k);
            String own = r.hasIdElement() && r.getIdElement().hasIdPart() ? r.fhirType() + "/" + r.getIdElement().getIdPart() : null;
            for (Reference ref : Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
                String target = ref.getReference();
                if (target != null && fullUrls.containsKey(target)) {
                    ref.setReference(fullUrls.get(target));
                }
            }
            r.setIdElement(null);
            Bundle.BundleEntryComponent e = b.addEntry().setResource(r)
                    .setFullUrl(own != null ? fullUrls.get(own) : urn("line " + lines.get(k)));
            e.getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl(r.fhirType());
            e.setUserData(LINE, lines.get(k));
        }
        b.setUserData(Transactions.BODY_HASH, Digest.sha256(ndjson).hex());
        return b;
    }

    /**
     * The same failure with every bundle location ({@code Bundle.entry[n]}, {@code entry n}) named by its NDJSON
     * line instead, so that the sender finds the resource at fault in what they sent.
     */
    static FhirException byLine(FhirException e, int[] lines) {
        OperationOutcome o = e.outcome().copy();
        for (OperationOutcome.OperationOutcomeIssueComponent issue : o.getIssue()) {
            if (issue.hasDiagnostics()) {
                issue.setDiagnostics(lines(issue.getDiagnostics(), lines));
            }
            issue.getExpression().forEach(x -> x.setValue(lines(x.getValue(), lines)));
        }
        return new FhirException(e.status(), o);
    }

    /** Per entry of a bundle of NDJSON lines, the line it came from (0 for the patient), so that the bundle can be let go. */
    static int[] lines(Bundle bundle) {
        return bundle.getEntry().stream().mapToInt(e -> e.getUserData(LINE) instanceof Integer n ? n : 0).toArray();
    }

    private static String lines(String text, int[] lines) {
        Matcher m = ENTRY.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int entry = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
            int line = entry < lines.length ? lines[entry] : 0;
            String name = line == 0 ? "the patient" : "line " + line;
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().endsWith(".") ? name + ": " : name));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Whether a Patient line may be the patient the URL names: it names no other patient of this ledger. */
    private static boolean ownPatient(Patient p, String patientId) {
        for (Identifier i : p.getIdentifier()) {
            if (Resources.PATIENT_SYSTEM.equals(i.getSystem()) && !patientId.equals(i.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static FhirException lineError(int status, OperationOutcome.IssueType type, ErrorCode code, int line, String what) {
        OperationOutcome o = Outcomes.of(OperationOutcome.IssueSeverity.ERROR, type, code.name(), "line " + line + ": " + what);
        o.getIssueFirstRep().addExpression("line " + line);
        return new FhirException(status, o);
    }

    /** A stable {@code urn:uuid:} for a name within one import. */
    private static String urn(String name) {
        return "urn:uuid:" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }
}

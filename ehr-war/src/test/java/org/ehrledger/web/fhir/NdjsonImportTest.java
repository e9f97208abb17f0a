package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.ErrorCode;

/** One patient's NDJSON turned into the transaction bundle the whole-history import takes, and errors named by line. */
class NdjsonImportTest {

    private static final String PATIENT = "P-AAAAA-BBBBB";
    private static final String ENCOUNTER = "{\"resourceType\":\"Encounter\",\"id\":\"enc-1\",\"status\":\"finished\","
            + "\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\"},"
            + "\"subject\":{\"reference\":\"Patient/pat-9\"}}";
    private static final String OBSERVATION = "{\"resourceType\":\"Observation\",\"id\":\"obs-1\",\"status\":\"final\","
            + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]},"
            + "\"subject\":{\"reference\":\"Patient/pat-9\"},\"encounter\":{\"reference\":\"Encounter/enc-1\"}}";
    private static final String SENDERS_PATIENT = "{\"resourceType\":\"Patient\",\"id\":\"pat-9\"}";

    private static byte[] ndjson(String... lines) {
        return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    }

    private static FhirException refused(String... lines) {
        return assertThrows(FhirException.class, () -> NdjsonImport.bundle(PATIENT, ndjson(lines)));
    }

    @Test
    void eachLineIsAnEntryAfterThePatientAndReferencesBetweenLinesResolve() {
        Bundle b = NdjsonImport.bundle(PATIENT, ndjson(SENDERS_PATIENT, ENCOUNTER, "", OBSERVATION, ""));
        assertEquals(Bundle.BundleType.TRANSACTION, b.getType());
        assertEquals(3, b.getEntry().size(), "the patient, then a record per resource line");
        assertEquals("Patient/" + PATIENT, b.getEntry().get(0).getRequest().getUrl());
        Transaction t = Transaction.plan(b, null, n -> "R-AAAAA-BBBBB-CCCCC-0000" + n);
        assertEquals(PATIENT, t.patientId(), "the sender's own id for the patient is the patient the URL names");
        assertEquals(List.of("Patient/" + PATIENT, "Encounter/R-AAAAA-BBBBB-CCCCC-00000", "Observation/R-AAAAA-BBBBB-CCCCC-00001"),
                t.entries());
        Observation o = (Observation) b.getEntry().get(2).getResource();
        assertEquals("Encounter/R-AAAAA-BBBBB-CCCCC-00000", o.getEncounter().getReference(), "resolved to the ledger id");
        assertEquals("Patient/" + PATIENT, o.getSubject().getReference());
    }

    @Test
    void theSameLinesHaveTheSameHashAndOtherLinesAnother() {
        String a = Transactions.hashOf(NdjsonImport.bundle(PATIENT, ndjson(ENCOUNTER, OBSERVATION)));
        assertEquals(a, Transactions.hashOf(NdjsonImport.bundle(PATIENT, ndjson(ENCOUNTER, OBSERVATION))),
                "so that the same NDJSON sent again names the same records and creates nothing");
        assertNotEquals(a, Transactions.hashOf(NdjsonImport.bundle(PATIENT, ndjson(ENCOUNTER))));
    }

    @Test
    void aLineThatIsNotAResourceIsRefusedByItsNumber() {
        FhirException e = refused(ENCOUNTER, "", "{\"resourceType\":\"Observation\",\"status\":", OBSERVATION);
        assertEquals(400, e.status());
        OperationOutcome.OperationOutcomeIssueComponent issue = e.outcome().getIssueFirstRep();
        assertTrue(issue.getDiagnostics().startsWith("line 3: not a FHIR R4 resource in JSON"), issue.getDiagnostics());
        assertEquals("line 3", issue.getExpression().get(0).getValue());
        assertEquals(ErrorCode.INVALID_INPUT.name(), issue.getDetails().getCodingFirstRep().getCode());

        assertEquals(400, refused("{\"resourceType\":\"Observation\",\"spaceship\":true}").status(), "unknown elements too");
        assertEquals(400, refused("", " ").status(), "nothing to import");
    }

    @Test
    void anotherPatientOrTheSameResourceTwiceIsRefusedByItsLine() {
        FhirException other = refused(ENCOUNTER, "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\""
                + Resources.PATIENT_SYSTEM + "\",\"value\":\"P-OTHER-00000\"}]}");
        assertEquals(422, other.status());
        assertTrue(other.getMessage().startsWith("line 2: a Patient other than Patient/" + PATIENT), other.getMessage());
        assertEquals(422, refused(SENDERS_PATIENT, "{\"resourceType\":\"Patient\",\"id\":\"pat-10\"}").status());
        FhirException twice = refused(ENCOUNTER, OBSERVATION, ENCOUNTER);
        assertTrue(twice.getMessage().startsWith("line 3: Encounter/enc-1 is on an earlier line too"), twice.getMessage());
    }

    @Test
    void anErrorAboutABundleEntryNamesTheLineItCameFrom() {
        Bundle b = NdjsonImport.bundle(PATIENT, ndjson(ENCOUNTER, "", OBSERVATION));
        OperationOutcome o = new OperationOutcome();
        o.addIssue().setDiagnostics("Observation.status: minimum required = 1").addExpression("Bundle.entry[2].resource.status");
        o.addIssue().setDiagnostics("entry 1 has no resource");
        o.addIssue().setDiagnostics("Bundle.entry[0] is wrong").addExpression("Bundle.entry[0]");
        o.addIssue().setDiagnostics("x").addExpression("Bundle.entry[2].resource/*Observation/null*/.code");
        FhirException located = NdjsonImport.byLine(new FhirException(422, o), NdjsonImport.lines(b));
        assertEquals(422, located.status());
        assertEquals("line 3: status", located.outcome().getIssue().get(0).getExpression().get(0).getValue());
        assertEquals("line 1 has no resource", located.outcome().getIssue().get(1).getDiagnostics());
        assertEquals("the patient is wrong", located.outcome().getIssue().get(2).getDiagnostics());
        assertEquals("line 3: code", located.outcome().getIssue().get(3).getExpression().get(0).getValue(),
                "the validator's comment naming the resource goes too");
    }
}

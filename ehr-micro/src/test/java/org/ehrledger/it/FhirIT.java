package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.AdditionalRequestHeadersInterceptor;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Timing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The FHIR R4 facade on a running 4-replica network, through HAPI's generic client: capabilities, a patient
 * registered by the registration desk, consent as a Consent resource, resources created one by one and as a
 * transaction bundle of realistic clinical data, searches with paging, {@code $everything}, Provenance and
 * AuditEvent, JSON and XML. Every resource read back is validated against the base R4 specification, offline.
 * Refusals are OperationOutcomes (401, 403, 400, 422), audited, and change nothing. Runs on the
 * {@link LocalNetwork#shared() shared network}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FhirIT {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final String REASON = "Diabetes review clinic";
    private static LocalNetwork net;
    private static FhirValidator validator;
    private static String adminToken;
    private static String doctorToken;
    private static String patientToken;
    private static String patientPassword;
    private static String doctorPassword;
    private static String patientId;
    private static String consentId;
    private static int validated;

    @BeforeAll
    static void up() throws Exception {
        FHIR.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
        FHIR.getRestfulClientFactory().setSocketTimeout(120_000);
        // The shared network: the accounts, patients and records here are this class's own, and what it counts is
        // its own patient's (searches, $everything, exports) or in blocks written while it runs (test classes run
        // one at a time). The member organisations it compares with the JSON API's list (PortalIT admits one).
        net = LocalNetwork.shared();
        adminToken = net.firstAdminToken(LocalNetwork.sharedUpOutput());
        doctorPassword = net.staff(1, adminToken, "dr-fhir", "Dr Frances Fhir", "PRACTITIONER");
        doctorToken = net.signIn(1, "dr-fhir", doctorPassword);
        ValidationSupportChain chain = new ValidationSupportChain(new DefaultProfileValidationSupport(FHIR),
                new CommonCodeSystemsTerminologyService(FHIR), new InMemoryTerminologyServerValidationSupport(FHIR),
                new SnapshotGeneratingValidationSupport(FHIR), new UnknownCodeSystemWarningValidationSupport(FHIR));
        validator = FHIR.newValidator().registerValidatorModule(new FhirInstanceValidator(chain));
    }

    private static IGenericClient client(String token) {
        IGenericClient c = FHIR.newRestfulGenericClient(net.web(1) + "/fhir/r4");
        c.setEncoding(EncodingEnum.JSON);
        if (token != null) {
            c.registerInterceptor(new BearerTokenAuthInterceptor(token));
        }
        return c;
    }

    /** The practitioner's client: every read states why. */
    private static IGenericClient doctor() {
        IGenericClient c = client(doctorToken);
        AdditionalRequestHeadersInterceptor reason = new AdditionalRequestHeadersInterceptor();
        reason.addHeaderValue("X-Access-Reason", REASON);
        c.registerInterceptor(reason);
        return c;
    }

    /** Validates a resource (and, for a bundle, every entry) against the base R4 specification. */
    private static <T extends IBaseResource> T valid(T resource) {
        var errors = validator.validateWithResult(resource).getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
        assertTrue(errors.isEmpty(), () -> resource.fhirType() + " read back does not validate: " + errors + "\n"
                + FHIR.newJsonParser().encodeResourceToString(resource));
        validated++;
        return resource;
    }

    private static String code(BaseServerResponseException e) {
        IBaseOperationOutcome o = e.getOperationOutcome();
        assertNotNull(o, "the error carries an OperationOutcome");
        OperationOutcome outcome = (OperationOutcome) valid(o);
        return outcome.getIssueFirstRep().getDetails().getCodingFirstRep().getCode();
    }

    private static HttpResponse<String> raw(String method, String path, String token, String contentType, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4/" + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private int count(IGenericClient c, Class<? extends Resource> type) {
        return c.search().forResource(type).where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class)
                .execute().getTotal();
    }

    @Test
    @Order(1)
    void theCapabilityStatementDescribesTheFacadeWithoutSigningIn() {
        CapabilityStatement c = valid(client(null).capabilities().ofType(CapabilityStatement.class).execute());
        assertEquals(Enumerations.FHIRVersion._4_0_1, c.getFhirVersion());
        var patient = c.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals("Patient")).findFirst().orElseThrow();
        assertTrue(patient.getInteraction().stream().anyMatch(i -> i.getCode() == CapabilityStatement.TypeRestfulInteraction.CREATE));
        assertTrue(patient.getOperation().stream().anyMatch(o -> o.getName().equals("everything")));
        for (String type : List.of("Practitioner", "Organization", "MedicationRequest", "Observation", "AllergyIntolerance",
                "Condition", "Encounter", "DocumentReference", "Consent", "AuditEvent", "Provenance")) {
            assertTrue(c.getRestFirstRep().getResource().stream().anyMatch(r -> r.getType().equals(type)), type);
        }
    }

    @Test
    @Order(2)
    void theRegistrationDeskRegistersAPatientWhoEnrolsWithTheCodeAndSignsInWithTheirOwnPassword() throws Exception {
        Patient p = new Patient();
        p.addName().setFamily("Hopper").addGiven("Grace").setText("Grace Hopper");
        p.setGender(Enumerations.AdministrativeGender.FEMALE);
        p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1956-12-09"));
        p.addTelecom().setSystem(org.hl7.fhir.r4.model.ContactPoint.ContactPointSystem.EMAIL).setValue("grace@example.org");
        p.addAddress().setCity("Arlington").setCountry("US");
        MethodOutcome created = client(adminToken).create().resource(p).execute();
        patientId = created.getId().getIdPart();
        assertTrue(patientId.matches("P-[0-9A-Z]{5}-[0-9A-Z]{5}"), patientId);
        assertTrue(created.getResponseHeaders().keySet().stream().noneMatch(h -> h.equalsIgnoreCase("X-Initial-Password")),
                "no password is handed to the desk");
        String code = created.getResponseHeaders().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("X-Enrolment-Code")).findFirst().orElseThrow().getValue().get(0);
        patientPassword = net.enrol(1, patientId, code);
        patientToken = net.signIn(1, patientId, patientPassword);

        Patient self = valid(client(patientToken).read().resource(Patient.class).withId(patientId).execute());
        assertEquals("Grace Hopper", self.getNameFirstRep().getText());
        assertEquals(Enumerations.AdministrativeGender.FEMALE, self.getGender(), "the whole Patient is kept");
        assertEquals("Arlington", self.getAddressFirstRep().getCity());
        assertEquals(patientId, self.getIdentifierFirstRep().getValue());

        // The registration desk is not the clinic: administrators never read clinical content.
        assertThrows(ForbiddenOperationException.class,
                () -> client(adminToken).read().resource(Patient.class).withId(patientId).execute());
        // A patient is registered with the details needed to reach them; nothing is registered otherwise.
        UnprocessableEntityException noContact = assertThrows(UnprocessableEntityException.class,
                () -> client(adminToken).create().resource(new Patient().setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1990-01-01"))).execute());
        assertEquals("INVALID_INPUT", code(noContact));
    }

    @Test
    @Order(3)
    void readsWithoutAuthorisationAreRefusedWithOperationOutcomesAndAudited() throws Exception {
        // Anonymous: 401, written to the replica's audit log.
        AuthenticationException anonymous = assertThrows(AuthenticationException.class,
                () -> client(null).read().resource(Patient.class).withId(patientId).execute());
        assertEquals("UNAUTHENTICATED", code(anonymous));
        String log = Files.readString(net.home.resolve("node-1/replica.log"));
        assertTrue(log.contains("FHIR 401: anonymous caller refused on /fhir/r4/Patient/" + patientId), "audit log line");
        assertThrows(AuthenticationException.class, () -> client("forged-token").search().forResource(Observation.class)
                .where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute());

        // The practitioner has no consent yet: 403, and the attempt is on chain, refused by the contracts.
        long before = net.status(1).getJsonNumber("height").longValue();
        ForbiddenOperationException refused = assertThrows(ForbiddenOperationException.class,
                () -> doctor().read().resource(Patient.class).withId(patientId).execute());
        assertEquals("FORBIDDEN", code(refused));
        assertTrue(refusedAccessOnChain("dr-fhir", before), "the refused read is recorded on chain");

        // Another patient asking for this patient's observations: 403, and recorded the same way.
        var other = net.post(1, "/patients", null, Json.createObjectBuilder().add("name", "Other Patient")
                .add("birthDate", "1970-01-01").add("contact", "other@example.org").add("password", "other patient pw 1").build());
        assertEquals(201, other.status(), other.raw());
        String otherToken = net.signIn(1, other.str("patientId"), "other patient pw 1");
        long mark = net.status(1).getJsonNumber("height").longValue();
        assertThrows(ForbiddenOperationException.class, () -> client(otherToken).search().forResource(Observation.class)
                .where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute());
        assertTrue(refusedAccessOnChain(other.str("patientId"), mark));
    }

    /** Whether a refused RECORD_ACCESS signed by {@code author} is in a block above {@code height}. */
    private static boolean refusedAccessOnChain(String author, long height) throws Exception {
        long head = net.status(1).getJsonNumber("height").longValue();
        for (long h = height + 1; h <= head; h++) {
            var block = net.get(1, "/blocks/" + h + "/transactions", adminToken);
            for (JsonObject tx : block.json().getJsonArray("transactions").getValuesAs(JsonObject.class)) {
                if (tx.getString("type").equals("RECORD_ACCESS") && tx.getString("author").equals(author)
                        && !tx.getBoolean("accepted")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The patient's consent, for a day, to a practitioner or billing account for the given categories. */
    private static Consent consent(String grantee, String... categories) {
        return consentOf(patientId, grantee, categories);
    }

    /** A patient's consent, for a day, to a practitioner or billing account for the given categories. */
    private static Consent consentOf(String patient, String grantee, String... categories) {
        Consent c = new Consent().setStatus(Consent.ConsentState.ACTIVE)
                .setScope(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", null)))
                .setPatient(new Reference("Patient/" + patient))
                .setPolicyRule(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", null)));
        c.addCategory(new CodeableConcept(new Coding("http://loinc.org", "59284-0", null)));
        Consent.ProvisionComponent provision = c.getProvision().setType(Consent.ConsentProvisionType.PERMIT)
                .setPeriod(new Period().setEnd(new Date(System.currentTimeMillis() + 86_400_000L)));
        provision.addActor().setRole(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", null)))
                .setReference(new Reference("Practitioner/" + grantee));
        for (String category : categories) {
            provision.addCode(new CodeableConcept(new Coding("urn:ehr-ledger:category", category, null)));
        }
        return c;
    }

    @Test
    @Order(4)
    void thePatientConsentsWithAConsentResource() throws Exception {
        Consent c = consent("dr-fhir", "DEMOGRAPHICS", "NOTE", "OBSERVATION", "ALLERGY", "CONDITION", "ENCOUNTER", "PROCEDURE",
                "PRESCRIPTION");
        MethodOutcome created = client(patientToken).create().resource(c).execute();
        consentId = created.getId().getIdPart();
        Consent read = valid(client(patientToken).read().resource(Consent.class).withId(consentId).execute());
        assertEquals(Consent.ConsentState.ACTIVE, read.getStatus());
        assertEquals("Practitioner/dr-fhir", read.getProvision().getActorFirstRep().getReference().getReference());
        assertEquals(8, read.getProvision().getCode().size());

        // The practitioner now reads the patient, found by name and date of birth too.
        Patient p = valid(doctor().read().resource(Patient.class).withId(patientId).execute());
        assertEquals("Grace Hopper", p.getNameFirstRep().getText());
        Bundle found = doctor().search().forResource(Patient.class).where(Patient.NAME.matches().value("Grace Hopper"))
                .and(Patient.BIRTHDATE.exactly().day("1956-12-09")).returnBundle(Bundle.class).execute();
        assertEquals(1, found.getTotal());
        Practitioner me = valid(doctor().read().resource(Practitioner.class).withId("dr-fhir").execute());
        assertEquals("Dr Frances Fhir", me.getNameFirstRep().getText());
        Bundle colleagues = client(patientToken).search().forResource(Practitioner.class).returnBundle(Bundle.class).execute();
        assertTrue(colleagues.getEntry().stream().anyMatch(e -> valid(e.getResource()).getIdElement().getIdPart().equals("dr-fhir")));
        org.hl7.fhir.r4.model.Organization hospital = valid(client(patientToken).read()
                .resource(org.hl7.fhir.r4.model.Organization.class).withId("st-mary").execute());
        assertEquals("St Mary's Hospital", hospital.getName());
        // The directory lists the member organisations, all of them and only them (other classes on the shared
        // network may have admitted one: compared with the JSON API's list, not with a number).
        Bundle organisations = client(patientToken).search().forResource(org.hl7.fhir.r4.model.Organization.class)
                .returnBundle(Bundle.class).execute();
        LocalNetwork.Reply members = net.get(1, "/organisations", adminToken);
        assertEquals(200, members.status(), members.raw());
        java.util.Set<String> memberIds = Json.createReader(new java.io.StringReader(members.raw())).readArray()
                .getValuesAs(JsonObject.class).stream().map(m -> m.getString("id")).collect(java.util.stream.Collectors.toSet());
        assertTrue(memberIds.contains("st-mary"), memberIds.toString());
        assertEquals(memberIds.size(), organisations.getTotal(), "every member organisation: " + memberIds);
        assertEquals(memberIds, organisations.getEntry().stream().map(e -> e.getResource().getIdElement().getIdPart())
                .collect(java.util.stream.Collectors.toSet()), "the member organisations and no other");
    }

    @Test
    @Order(5)
    void aPractitionerCreatesAnObservationAndReadsItBackWithItsProvenance() throws Exception {
        Observation weight = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", "29463-7", "Body weight")))
                .setSubject(new Reference("Patient/" + patientId)).setEffective(new DateTimeType(new Date()))
                .setValue(new Quantity().setValue(new BigDecimal("68.4")).setUnit("kg").setSystem("http://unitsofmeasure.org").setCode("kg"));
        weight.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")));
        MethodOutcome created = doctor().create().resource(weight).execute();
        String id = created.getId().getIdPart();
        assertTrue(id.startsWith("R-"), id);

        Observation read = valid(doctor().read().resource(Observation.class).withId(id).execute());
        assertEquals(0, new BigDecimal("68.4").compareTo(read.getValueQuantity().getValue()));
        assertEquals("29463-7", read.getCode().getCodingFirstRep().getCode());
        Observation asPatient = valid(client(patientToken).read().resource(Observation.class).withId(id).execute());
        assertEquals(read.getMeta().getLastUpdated(), asPatient.getMeta().getLastUpdated());

        Provenance prov = valid(doctor().read().resource(Provenance.class).withId(id).execute());
        assertEquals("Observation/" + id, prov.getTargetFirstRep().getReference());
        assertEquals("Practitioner/dr-fhir", prov.getAgentFirstRep().getWho().getReference());
        assertTrue(prov.getEntityFirstRep().getWhat().getDisplay().contains("receipt verified"), prov.getEntityFirstRep().getWhat().getDisplay());
        assertEquals(64, prov.getEntityFirstRep().getWhat().getIdentifier().getValue().length(), "the transaction id");

        // The same resource in XML; and a condition, an allergy and a prescription created one by one, in XML.
        IGenericClient xml = doctor();
        xml.setEncoding(EncodingEnum.XML);
        valid(xml.read().resource(Observation.class).withId(id).execute());
        Reference subject = new Reference("Patient/" + patientId);
        Condition asthma = new Condition().setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "195967001", "Asthma")))
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)))
                .setSubject(subject);
        AllergyIntolerance latex = new AllergyIntolerance()
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", null)))
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "300916003", "Latex allergy"))).setPatient(subject);
        MedicationRequest salbutamol = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                .setIntent(MedicationRequest.MedicationRequestIntent.ORDER).setSubject(subject)
                .setMedication(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "745679",
                        "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler")));
        salbutamol.addDosageInstruction().setText("two puffs when needed");
        for (Resource r : List.of(asthma, latex, salbutamol)) {
            MethodOutcome made = xml.create().resource(r).execute();
            Resource back = valid((Resource) doctor().read().resource(r.getClass()).withId(made.getId().getIdPart()).execute());
            assertEquals(r.fhirType(), back.fhirType());
        }
        // The records are the same records the portal and the JSON API show.
        JsonObject prescriptions = net.get(1, "/patients/" + patientId + "/records?category=PRESCRIPTION&reason=check", doctorToken).json();
        JsonObject rx = prescriptions.getJsonArray("items").getJsonObject(0).getJsonObject("content");
        assertEquals("200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", rx.getString("title"));
        assertEquals("two puffs when needed", rx.getString("text"));
    }

    @Test
    @Order(6)
    void invalidOrMalformedResourcesAreRefusedAndChangeNothing() throws Exception {
        int before = count(doctor(), Observation.class);
        long height = net.status(1).getJsonNumber("height").longValue();

        // No code: the R4 specification requires one (validated, 422, with where the error is).
        Observation noCode = new Observation().setStatus(Observation.ObservationStatus.FINAL).setSubject(new Reference("Patient/" + patientId));
        UnprocessableEntityException invalid = assertThrows(UnprocessableEntityException.class,
                () -> doctor().create().resource(noCode).execute());
        assertEquals("INVALID_RESOURCE", code(invalid));
        OperationOutcome o = (OperationOutcome) invalid.getOperationOutcome();
        assertTrue(o.getIssue().stream().anyMatch(i -> !i.getExpression().isEmpty()), "errors say where");

        // Malformed JSON, an unknown element, a wrong type, XML with an external entity.
        assertEquals(400, raw("POST", "Observation", doctorToken, "application/fhir+json", "{\"resourceType\":\"Observation\",").statusCode());
        HttpResponse<String> unknown = raw("POST", "Observation", doctorToken, "application/fhir+json",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"colour\":\"blue\",\"code\":{\"text\":\"x\"},"
                        + "\"subject\":{\"reference\":\"Patient/" + patientId + "\"}}");
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("OperationOutcome") && unknown.body().contains("colour"), unknown.body());
        HttpResponse<String> wrongType = raw("POST", "Condition", doctorToken, "application/fhir+json",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}");
        assertEquals(400, wrongType.statusCode(), wrongType.body());
        HttpResponse<String> xxe = raw("POST", "Observation", doctorToken, "application/fhir+xml",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                        + "<Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/><code><text value=\"&e;\"/></code></Observation>");
        assertEquals(400, xxe.statusCode(), xxe.body());
        assertFalse(xxe.body().contains("root:"), "no file content");
        HttpResponse<String> numberForText = raw("POST", "Observation", doctorToken, "application/fhir+json",
                "{\"resourceType\":\"Observation\",\"status\":42,\"code\":{\"text\":\"x\"}}");
        assertEquals(400, numberForText.statusCode(), numberForText.body());
        // An unknown type, an unknown search parameter.
        assertEquals(404, raw("GET", "Questionnaire?patient=" + patientId, doctorToken, null, null).statusCode());
        InvalidRequestException badParam = assertThrows(InvalidRequestException.class, () -> doctor().search()
                .forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(new ca.uhn.fhir.rest.gclient.TokenClientParam("value-concept").exactly().code("29463-7"))
                .returnBundle(Bundle.class).execute());
        assertEquals("INVALID_INPUT", code(badParam));

        assertEquals(before, count(doctor(), Observation.class), "nothing was written");
        // Only the audited reads of this test were committed: no record.
        long head = net.status(1).getJsonNumber("height").longValue();
        for (long h = height + 1; h <= head; h++) {
            for (JsonObject tx : net.get(1, "/blocks/" + h + "/transactions", adminToken).json().getJsonArray("transactions")
                    .getValuesAs(JsonObject.class)) {
                assertEquals("RECORD_ACCESS", tx.getString("type"), "block " + h);
            }
        }
    }

    /** A realistic visit of a patient with type 2 diabetes, as an EHR or a synthetic data generator exports it. */
    static Bundle diabetesVisit(String patientId) {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        String patientUrl = "urn:uuid:" + UUID.randomUUID();
        Patient p = new Patient();
        p.setId(patientId);
        p.addIdentifier().setSystem("urn:ehr-ledger:patient").setValue(patientId);
        p.addName().setFamily("Hopper").addGiven("Grace");
        b.addEntry().setFullUrl(patientUrl).setResource(p).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + patientId);
        Reference subject = new Reference(patientUrl);
        Date start = new Date(System.currentTimeMillis() - 3_600_000L);
        Date end = new Date(System.currentTimeMillis() - 1_800_000L);

        Encounter visit = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
                .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
                .setSubject(subject).setPeriod(new Period().setStart(start).setEnd(end));
        visit.addType(new CodeableConcept(new Coding("http://snomed.info/sct", "185349003", "Encounter for check up (procedure)")));
        visit.addReasonCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "Diabetes mellitus type 2")));
        String visitUrl = add(b, visit);
        Reference encounter = new Reference(visitUrl);

        Condition diabetes = new Condition()
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)))
                .setVerificationStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", null)))
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "Diabetes mellitus type 2")))
                .setSubject(subject).setEncounter(encounter).setOnset(new DateTimeType("2019-04-02"));
        diabetes.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item")));
        add(b, diabetes);
        Condition hypertension = new Condition()
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)))
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "38341003", "Hypertensive disorder")))
                .setSubject(subject).setEncounter(encounter);
        add(b, hypertension);

        add(b, vital("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "7.4", "%", "%", subject, encounter, "laboratory"));
        add(b, vital("2339-0", "Glucose [Mass/volume] in Blood", "142", "mg/dL", "mg/dL", subject, encounter, "laboratory"));
        add(b, vital("39156-5", "Body mass index (BMI) [Ratio]", "29.1", "kg/m2", "kg/m2", subject, encounter, "vital-signs"));
        Observation bp = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", "85354-9", "Blood pressure panel with all children optional")))
                .setSubject(subject).setEncounter(encounter).setEffective(new DateTimeType(start));
        bp.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")));
        bp.addComponent().setCode(new CodeableConcept(new Coding("http://loinc.org", "8480-6", "Systolic blood pressure")))
                .setValue(new Quantity().setValue(138).setUnit("mm[Hg]").setSystem("http://unitsofmeasure.org").setCode("mm[Hg]"));
        bp.addComponent().setCode(new CodeableConcept(new Coding("http://loinc.org", "8462-4", "Diastolic blood pressure")))
                .setValue(new Quantity().setValue(86).setUnit("mm[Hg]").setSystem("http://unitsofmeasure.org").setCode("mm[Hg]"));
        add(b, bp);

        AllergyIntolerance penicillin = new AllergyIntolerance()
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", null)))
                .setVerificationStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", null)))
                .setType(AllergyIntolerance.AllergyIntoleranceType.ALLERGY)
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "91936005", "Allergy to penicillin")))
                .setPatient(subject);
        penicillin.addCategory(AllergyIntolerance.AllergyIntoleranceCategory.MEDICATION);
        penicillin.addReaction().setSeverity(AllergyIntolerance.AllergyIntoleranceSeverity.MODERATE)
                .addManifestation(new CodeableConcept(new Coding("http://snomed.info/sct", "247472004", "Wheal")));
        add(b, penicillin);

        MedicationRequest metformin = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE)
                .setIntent(MedicationRequest.MedicationRequestIntent.ORDER)
                .setMedication(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "860975",
                        "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")))
                .setSubject(subject).setEncounter(encounter).setAuthoredOn(end);
        var dosage = metformin.addDosageInstruction().setText("one tablet twice a day with meals")
                .setRoute(new CodeableConcept(new Coding("http://snomed.info/sct", "26643006", "Oral route")))
                .setTiming(new Timing().setRepeat(new Timing.TimingRepeatComponent().setFrequency(2).setPeriod(1)
                        .setPeriodUnit(Timing.UnitsOfTime.D)));
        dosage.addDoseAndRate().setDose(new Quantity().setValue(500).setUnit("mg").setSystem("http://unitsofmeasure.org").setCode("mg"));
        metformin.getDispenseRequest().setExpectedSupplyDuration((org.hl7.fhir.r4.model.Duration) new org.hl7.fhir.r4.model.Duration()
                .setValue(90).setUnit("days").setSystem("http://unitsofmeasure.org").setCode("d"));
        add(b, metformin);

        Procedure foot = new Procedure().setStatus(Procedure.ProcedureStatus.COMPLETED)
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "401191002", "Diabetic foot examination")))
                .setSubject(subject).setEncounter(encounter).setPerformed(new Period().setStart(start).setEnd(end));
        add(b, foot);
        Immunization flu = new Immunization().setStatus(Immunization.ImmunizationStatus.COMPLETED)
                .setVaccineCode(new CodeableConcept(new Coding("http://hl7.org/fhir/sid/cvx", "140",
                        "Influenza, seasonal, injectable, preservative free")))
                .setPatient(subject).setEncounter(encounter).setOccurrence(new DateTimeType(start));
        add(b, flu);
        DocumentReference note = new DocumentReference().setStatus(Enumerations.DocumentReferenceStatus.CURRENT)
                .setType(new CodeableConcept(new Coding("http://loinc.org", "11506-3", "Progress note")))
                .setSubject(subject).setDate(end).setDescription("Diabetes review");
        note.addContent().getAttachment().setContentType("text/plain").setData(
                "HbA1c 7.4 %, up from 7.0. Started metformin XR 500 mg twice daily. Feet normal. Review in 3 months."
                        .getBytes(StandardCharsets.UTF_8));
        note.getContext().addEncounter(encounter);
        add(b, note);
        return b;
    }

    private static Observation vital(String loinc, String display, String value, String unit, String ucum, Reference subject,
                                     Reference encounter, String category) {
        Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", loinc, display)))
                .setSubject(subject).setEncounter(encounter).setEffective(new DateTimeType(new Date(System.currentTimeMillis() - 3_000_000L)))
                .setValue(new Quantity().setValue(new BigDecimal(value)).setUnit(unit).setSystem("http://unitsofmeasure.org").setCode(ucum));
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", category, null)));
        return o;
    }

    private static String add(Bundle b, Resource r) {
        String url = "urn:uuid:" + UUID.randomUUID();
        b.addEntry().setFullUrl(url).setResource(r).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl(r.fhirType());
        return url;
    }

    @Test
    @Order(7)
    void aTransactionBundleOfAVisitCommitsAndEveryResourceReadBackValidates() throws Exception {
        Bundle visit = diabetesVisit(patientId);
        valid(visit);
        Bundle response = doctor().transaction().withBundle(visit).execute();
        assertEquals(Bundle.BundleType.TRANSACTIONRESPONSE, response.getType());
        assertEquals(visit.getEntry().size(), response.getEntry().size());
        assertEquals("200 OK", response.getEntryFirstRep().getResponse().getStatus());
        List<String> locations = new ArrayList<>();
        for (var e : response.getEntry().subList(1, response.getEntry().size())) {
            assertEquals("201 Created", e.getResponse().getStatus());
            locations.add(e.getResponse().getLocation());
        }

        // References between entries now point at the ledger ids.
        String encounterId = new IdType(locations.get(0)).getIdPart();
        Encounter encounter = valid(doctor().read().resource(Encounter.class).withId(encounterId).execute());
        assertEquals("Encounter for check up (procedure)", encounter.getTypeFirstRep().getCodingFirstRep().getDisplay());
        Bundle labs = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .returnBundle(Bundle.class).execute();
        assertEquals(5, labs.getTotal(), "the weight and the four observations of the visit");
        for (var e : labs.getEntry()) {
            Observation o = valid((Observation) e.getResource());
            assertEquals("Patient/" + patientId, o.getSubject().getReference());
            if (o.hasEncounter()) {
                assertEquals("Encounter/" + encounterId, o.getEncounter().getReference());
            }
        }
        // _include: the observations with the encounter they belong to; _revinclude: the encounter with its observations.
        Bundle withVisit = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .include(Observation.INCLUDE_ENCOUNTER).returnBundle(Bundle.class).execute();
        assertEquals(5, withVisit.getTotal(), "what is included is not counted as a match");
        assertEquals(List.of("Encounter/" + encounterId), withVisit.getEntry().stream()
                .filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.INCLUDE)
                .map(e -> valid(e.getResource()).fhirType() + "/" + e.getResource().getIdElement().getIdPart()).toList());
        long ofVisit = labs.getEntry().stream().filter(e -> ((Observation) e.getResource()).hasEncounter()).count();
        Bundle visitAndLabs = doctor().search().forResource(Encounter.class).where(Encounter.PATIENT.hasId(patientId))
                .revInclude(Observation.INCLUDE_ENCOUNTER).returnBundle(Bundle.class).execute();
        assertEquals(ofVisit, visitAndLabs.getEntry().stream().filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.INCLUDE
                && e.getResource() instanceof Observation).count());
        assertTrue(ofVisit > 0);
        assertEquals(400, http("GET", "Observation?patient=" + patientId + "&_include=Observation:code", doctorToken,
                "X-Access-Reason", REASON).statusCode(), "code is not a reference parameter");
        MedicationRequest rx = (MedicationRequest) valid(doctor().search().forResource(MedicationRequest.class)
                .where(MedicationRequest.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute().getEntryFirstRep().getResource());
        assertEquals("860975", rx.getMedicationCodeableConcept().getCodingFirstRep().getCode());

        // Patient/$everything: the patient and every record, each of which validates.
        Bundle everything = doctor().operation().onInstance(new IdType("Patient", patientId)).named("$everything")
                .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute();
        valid(everything);
        List<String> types = new ArrayList<>();
        for (var e : everything.getEntry()) {
            types.add(valid(e.getResource()).fhirType());
        }
        for (String type : List.of("Patient", "Encounter", "Condition", "Observation", "AllergyIntolerance", "MedicationRequest",
                "Procedure", "Immunization", "DocumentReference")) {
            assertTrue(types.contains(type), type + " in " + types);
        }
        assertEquals(1 + 4 + 12, everything.getTotal(), "the patient, the four records made one by one and the twelve of the visit");

        // The patient sees the same record in their portal download, and in their own $everything.
        Bundle mine = client(patientToken).operation().onInstance(new IdType("Patient", patientId)).named("$everything")
                .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute();
        assertEquals(everything.getTotal(), mine.getTotal());
    }

    @Test
    @Order(8)
    void aBundleThatCannotBeKeptIsRefusedWholeAndWritesNothing() {
        int before = count(doctor(), Condition.class);
        Bundle withForm = diabetesVisit(patientId);
        withForm.addEntry().setFullUrl("urn:uuid:" + UUID.randomUUID()).setResource(new org.hl7.fhir.r4.model.Questionnaire()
                .setStatus(Enumerations.PublicationStatus.ACTIVE)).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Questionnaire");
        UnprocessableEntityException e = assertThrows(UnprocessableEntityException.class,
                () -> doctor().transaction().withBundle(withForm).execute());
        assertEquals("UNSUPPORTED_TYPE", code(e));

        Bundle newPatient = diabetesVisit(patientId);
        Patient stranger = new Patient();
        stranger.addName().setText("Someone New");
        newPatient.getEntryFirstRep().setResource(stranger).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        assertEquals("UNKNOWN_PATIENT", code(assertThrows(UnprocessableEntityException.class,
                () -> doctor().transaction().withBundle(newPatient).execute())));
        assertEquals(before, count(doctor(), Condition.class));
    }

    @Test
    @Order(9)
    void searchesPageWithStableNextLinks() {
        Bundle first = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId)).count(2)
                .returnBundle(Bundle.class).execute();
        assertEquals(5, first.getTotal());
        List<String> seen = new ArrayList<>();
        Bundle page = first;
        while (true) {
            page.getEntry().forEach(e -> seen.add(e.getResource().getIdElement().getIdPart()));
            if (page.getLink("next") == null) {
                break;
            }
            page = doctor().loadPage().next(page).execute();
        }
        assertEquals(5, seen.size());
        assertEquals(5, seen.stream().distinct().count(), "no duplicates across pages");

        // By code (system|code), category, status and date, in date order: what clinical apps ask.
        Bundle a1c = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.CODE.exactly().systemAndCode("http://loinc.org", "4548-4")).returnBundle(Bundle.class).execute();
        assertEquals(1, a1c.getTotal());
        assertEquals("4548-4", ((Observation) valid(a1c.getEntryFirstRep().getResource())).getCode().getCodingFirstRep().getCode());
        assertEquals(2, doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.CATEGORY.exactly().code("laboratory")).returnBundle(Bundle.class).execute().getTotal());
        assertEquals(0, doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.STATUS.exactly().code("preliminary")).returnBundle(Bundle.class).execute().getTotal());
        assertEquals(2, doctor().search().forResource(Condition.class).where(Condition.PATIENT.hasId(patientId))
                .and(Condition.CODE.exactly().codes("44054006", "38341003")).and(Condition.CLINICAL_STATUS.exactly().code("active"))
                .returnBundle(Bundle.class).execute().getTotal());
        Bundle byDate = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.DATE.afterOrEquals().day(new Date(System.currentTimeMillis() - 86_400_000L)))
                .sort().descending(Observation.DATE).returnBundle(Bundle.class).execute();
        assertTrue(byDate.getTotal() >= 4, "the visit's observations are of today: " + byDate.getTotal());
        List<Date> dates = byDate.getEntry().stream().map(e -> ((Observation) e.getResource()).getEffectiveDateTimeType().getValue())
                .toList();
        for (int i = 1; i < dates.size(); i++) {
            assertFalse(dates.get(i).after(dates.get(i - 1)), "newest first by date: " + dates);
        }
    }

    @Test
    @Order(10)
    void thePatientSeesWhoReadTheirRecordAsAuditEvents() {
        Bundle log = client(patientToken).search().forResource(AuditEvent.class).where(AuditEvent.PATIENT.hasId(patientId))
                .returnBundle(Bundle.class).execute();
        assertTrue(log.getTotal() >= 5, "the practitioner's reads");
        boolean found = false;
        for (var e : log.getEntry()) {
            AuditEvent a = valid((AuditEvent) e.getResource());
            if (a.getAgentFirstRep().getWho().getReference().equals("Practitioner/dr-fhir") && a.getOutcomeDesc().equals(REASON)) {
                found = true;
            }
        }
        assertTrue(found, "the practitioner's reason is in the log");
        String first = log.getEntryFirstRep().getResource().getIdElement().getIdPart();
        valid(client(patientToken).read().resource(AuditEvent.class).withId(first).execute());
        // Only the patient sees their log.
        assertThrows(ForbiddenOperationException.class, () -> doctor().search().forResource(AuditEvent.class)
                .where(AuditEvent.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute());
    }

    /**
     * A history as Synthea exports it (the types refused before): the hospital, the doctor, the ward and the
     * drug as reference data, a drug given, a care plan, a claim and its explanation of benefit, and a
     * Provenance over all of them; US Core profiles declared on some.
     */
    static Bundle exportedHistory(String patientId) {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        String patientUrl = "urn:uuid:" + UUID.randomUUID();
        Patient p = new Patient();
        p.addIdentifier().setSystem("urn:ehr-ledger:patient").setValue(patientId);
        p.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
        b.addEntry().setFullUrl(patientUrl).setResource(p).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + patientId);
        Reference subject = new Reference(patientUrl);
        org.hl7.fhir.r4.model.Organization hospital = new org.hl7.fhir.r4.model.Organization().setName("Synthea General Hospital");
        hospital.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization");
        Reference provider = new Reference(add(b, hospital));
        Practitioner welby = new Practitioner();
        welby.addName().setFamily("Welby").addGiven("Marcus");
        Reference doctor = new Reference(add(b, welby));
        add(b, new org.hl7.fhir.r4.model.Location().setName("Ward 3").setManagingOrganization(provider));
        Reference drug = new Reference(add(b, new org.hl7.fhir.r4.model.Medication().setCode(new CodeableConcept(new Coding(
                "http://www.nlm.nih.gov/research/umls/rxnorm", "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")))));
        add(b, new org.hl7.fhir.r4.model.MedicationAdministration()
                .setStatus(org.hl7.fhir.r4.model.MedicationAdministration.MedicationAdministrationStatus.COMPLETED)
                .setMedication(drug).setSubject(subject).setEffective(new DateTimeType(new Date())));
        org.hl7.fhir.r4.model.CarePlan plan = new org.hl7.fhir.r4.model.CarePlan()
                .setStatus(org.hl7.fhir.r4.model.CarePlan.CarePlanStatus.ACTIVE)
                .setIntent(org.hl7.fhir.r4.model.CarePlan.CarePlanIntent.ORDER).setSubject(subject);
        plan.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan");
        plan.addCategory(new CodeableConcept(new Coding("http://snomed.info/sct", "698360004", "Diabetes self management plan")));
        add(b, plan);
        org.hl7.fhir.r4.model.Claim claim = new org.hl7.fhir.r4.model.Claim()
                .setStatus(org.hl7.fhir.r4.model.Claim.ClaimStatus.ACTIVE).setUse(org.hl7.fhir.r4.model.Claim.Use.CLAIM)
                .setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/claim-type", "institutional", null)))
                .setPatient(subject).setCreated(new Date()).setProvider(provider)
                .setPriority(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal", null)))
                .setTotal(new org.hl7.fhir.r4.model.Money().setValue(new BigDecimal("129.16")).setCurrency("USD"));
        claim.addInsurance().setSequence(1).setFocal(true).setCoverage(new Reference().setDisplay("Medicare"));
        claim.addItem().setSequence(1).setProductOrService(new CodeableConcept(new Coding("http://snomed.info/sct", "185345009",
                "Encounter for symptom")));
        Reference claimRef = new Reference(add(b, claim));
        org.hl7.fhir.r4.model.ExplanationOfBenefit eob = new org.hl7.fhir.r4.model.ExplanationOfBenefit()
                .setStatus(org.hl7.fhir.r4.model.ExplanationOfBenefit.ExplanationOfBenefitStatus.ACTIVE).setType(claim.getType())
                .setUse(org.hl7.fhir.r4.model.ExplanationOfBenefit.Use.CLAIM).setPatient(subject).setCreated(new Date())
                .setInsurer(new Reference().setDisplay("Medicare")).setProvider(provider).setClaim(claimRef)
                .setOutcome(org.hl7.fhir.r4.model.ExplanationOfBenefit.RemittanceOutcome.COMPLETE);
        eob.addInsurance().setFocal(true).setCoverage(new Reference().setDisplay("Medicare"));
        add(b, eob);
        Provenance provenance = new Provenance().setRecorded(new Date());
        for (var e : new ArrayList<>(b.getEntry())) {
            provenance.addTarget(new Reference(e.getFullUrl()));
        }
        provenance.addAgent().setWho(doctor).setOnBehalfOf(provider);
        add(b, provenance);
        return b;
    }

    @Test
    @Order(12)
    void aHistoryWithClaimsCarePlansAndReferenceDataIsKeptAndTheClaimReachesBillingUnderABillingConsent() throws Exception {
        client(patientToken).create().resource(consent("dr-fhir", "BILLING", "REFERENCE_DATA")).execute();
        Bundle history = exportedHistory(patientId);
        Bundle response = doctor().transaction().withBundle(history).execute();
        assertEquals(history.getEntry().size(), response.getEntry().size());
        List<String> locations = new ArrayList<>();
        for (var e : response.getEntry().subList(1, response.getEntry().size())) {
            assertEquals("201 Created", e.getResponse().getStatus());
            locations.add(new IdType(e.getResponse().getLocation()).toUnqualifiedVersionless().getValue());
        }
        // The US Core profiles were not checked (the validator does not have them): warnings, not refusals.
        var planOutcome = (OperationOutcome) response.getEntry().stream()
                .filter(e -> e.getResponse().getLocation().startsWith("CarePlan/")).findFirst().orElseThrow().getResponse().getOutcome();
        assertNotNull(planOutcome, "the care plan's entry says its profile was not checked");
        assertEquals(OperationOutcome.IssueSeverity.WARNING, planOutcome.getIssueFirstRep().getSeverity());
        assertEquals("PROFILE_NOT_CHECKED", planOutcome.getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        assertTrue(planOutcome.getIssueFirstRep().getDiagnostics().contains("us-core-careplan"));

        String organisation = locations.stream().filter(l -> l.startsWith("Organization/")).findFirst().orElseThrow();
        String claimId = new IdType(locations.stream().filter(l -> l.startsWith("Claim/")).findFirst().orElseThrow()).getIdPart();
        org.hl7.fhir.r4.model.Claim claim = valid(doctor().read().resource(org.hl7.fhir.r4.model.Claim.class).withId(claimId).execute());
        assertEquals("Patient/" + patientId, claim.getPatient().getReference());
        assertEquals(organisation, claim.getProvider().getReference(), "references resolved to the ledger ids");
        org.hl7.fhir.r4.model.Organization hospital = valid(doctor().read().resource(org.hl7.fhir.r4.model.Organization.class)
                .withId(new IdType(organisation).getIdPart()).execute());
        assertEquals("Synthea General Hospital", hospital.getName());
        assertEquals(1, doctor().search().forResource(org.hl7.fhir.r4.model.Organization.class)
                .where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute().getTotal());
        assertEquals(1, doctor().search().forResource(org.hl7.fhir.r4.model.ExplanationOfBenefit.class)
                .where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute().getTotal());
        Bundle everything = doctor().operation().onInstance(new IdType("Patient", patientId)).named("$everything")
                .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute();
        List<String> types = new ArrayList<>();
        Bundle page = everything;
        while (true) {
            page.getEntry().forEach(e -> types.add(valid(e.getResource()).fhirType()));
            if (page.getLink("next") == null) {
                break;
            }
            page = doctor().loadPage().next(page).execute();
        }
        for (String type : List.of("Organization", "Practitioner", "Location", "Medication", "MedicationAdministration", "CarePlan",
                "Claim", "ExplanationOfBenefit", "Provenance")) {
            assertTrue(types.contains(type), type + " in " + types);
        }

        // Billing staff see the claim over SOAP under the patient's billing consent; never the care plan.
        String clerk = net.staff(1, adminToken, "billing-fhir", "Fhir Billing", "BILLING");
        client(patientToken).create().resource(consent("billing-fhir", "BILLING")).execute();
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        var events = UsernameTokenClient.port(net.web(1) + "/soap/billing?wsdl", "billing-fhir", clerk)
                .listBillableEvents(patientId, today, today);
        var billed = events.stream().filter(e -> e.getRecordId().equals(claimId)).findFirst().orElseThrow();
        assertEquals("BILLING", billed.getKind());
        assertTrue(billed.getDescription().contains("institutional"), billed.getDescription());
        assertTrue(events.stream().allMatch(e -> e.getKind().equals("BILLING")), "only what the billing consent covers");
    }

    @Test
    @Order(13)
    void aResourceDeclaringAProfileTheServerDoesNotHaveIsKeptWithAWarning() {
        Observation lab = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", "4548-4", "Hemoglobin A1c")))
                .setSubject(new Reference("Patient/" + patientId)).setEffective(new DateTimeType(new Date()))
                .setValue(new Quantity().setValue(new BigDecimal("6.3")).setUnit("%").setSystem("http://unitsofmeasure.org").setCode("%"));
        lab.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", null)));
        lab.getMeta().addProfile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab");
        // The patient writes their own result (the practitioner's consent for observations may be withdrawn later).
        MethodOutcome created = client(patientToken).create().resource(lab)
                .prefer(ca.uhn.fhir.rest.api.PreferReturnEnum.OPERATION_OUTCOME).execute();
        assertNotNull(created.getId(), "created");
        OperationOutcome outcome = (OperationOutcome) created.getOperationOutcome();
        assertNotNull(outcome, "Prefer: return=OperationOutcome answers one");
        assertTrue(outcome.getIssue().stream().anyMatch(i -> i.getSeverity() == OperationOutcome.IssueSeverity.WARNING
                && i.getDiagnostics().contains("us-core-observation-lab")
                && i.getDetails().getCodingFirstRep().getCode().equals("PROFILE_NOT_CHECKED")), () -> FHIR.newJsonParser()
                .encodeResourceToString(outcome));
        Observation read = valid(client(patientToken).read().resource(Observation.class).withId(created.getId().getIdPart()).execute());
        assertEquals("4548-4", read.getCode().getCodingFirstRep().getCode());
    }

    /** The Synthea fixture: see src/test/resources/synthea/README.md for the command, version and seed that made it. */
    static final String SYNTHEA_FIXTURE = "/synthea/synthea-3.3.0-seed-42.json.gz";
    private static String syntheticPatientId;

    /** The patient history Synthea generated, as it wrote it: a transaction bundle of one patient's records. */
    static Bundle syntheaHistory() throws java.io.IOException {
        try (var in = new java.util.zip.GZIPInputStream(FhirIT.class.getResourceAsStream(SYNTHEA_FIXTURE))) {
            return FHIR.newJsonParser().parseResource(Bundle.class, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /**
     * The Synthea history ready to send for the registered patient: as generated, but for its Patient entry, which
     * names the registered patient by a conditional create on the ledger's identifier (as Synthea names its
     * organisations), so that the bundle refers to them and registers nobody.
     */
    private static Bundle syntheaHistoryOf(String patient) throws java.io.IOException {
        Bundle b = syntheaHistory();
        b.getEntry().stream().filter(e -> e.getResource() instanceof Patient).findFirst().orElseThrow().getRequest()
                .setIfNoneExist("identifier=urn:ehr-ledger:patient|" + patient);
        return b;
    }

    /**
     * The patient Synthea generated, registered by the registration desk with the generated demographics; they
     * enrol and consent to the practitioner for every category their history holds. Once per class run.
     */
    private static String syntheticPatient() throws Exception {
        if (syntheticPatientId == null) {
            Patient generated = (Patient) syntheaHistory().getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                    .filter(r -> r instanceof Patient).findFirst().orElseThrow();
            generated.setId((String) null);
            MethodOutcome registered = client(adminToken).create().resource(generated).execute();
            String id = registered.getId().getIdPart();
            String code = registered.getResponseHeaders().entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase("X-Enrolment-Code")).findFirst().orElseThrow().getValue().get(0);
            String token = net.signIn(1, id, net.enrol(1, id, code));
            client(token).create().resource(consentOf(id, "dr-fhir", "DEMOGRAPHICS", "NOTE", "ATTACHMENT", "OBSERVATION", "ALLERGY",
                    "CONDITION", "ENCOUNTER", "PROCEDURE", "PRESCRIPTION", "BILLING", "REFERENCE_DATA")).execute();
            syntheticPatientId = id;
        }
        return syntheticPatientId;
    }

    /**
     * Every entry of a patient's {@code $everything}, in pages of 200 (the most a page holds), following its next
     * links, as {@code Type/id}; each validates.
     */
    private static List<String> everything(String patient) {
        List<String> all = new ArrayList<>();
        Bundle page = doctor().operation().onInstance(new IdType("Patient", patient)).named("$everything")
                .withParameter(Parameters.class, "_count", new org.hl7.fhir.r4.model.IntegerType(200)).useHttpGet()
                .returnResourceType(Bundle.class).execute();
        while (true) {
            page.getEntry().forEach(e -> all.add(valid(e.getResource()).fhirType() + "/" + e.getResource().getIdElement().getIdPart()));
            if (page.getLink("next") == null) {
                return all;
            }
            page = doctor().loadPage().next(page).execute();
        }
    }

    @Test
    @Order(21)
    void aSyntheaHistoryWithInvalidEntriesIsRefusedWholeNamingEachEntryAndNothingOfItIsReadable() throws Exception {
        String patient = syntheticPatient();
        long height = net.status(1).getJsonNumber("height").longValue();

        // Three entries of the generated history made invalid: an Observation without its status, an Encounter without
        // its class, a Claim without its type (each 1..1 in R4). Refused whole, each named.
        Bundle invalid = syntheaHistoryOf(patient);
        List<Bundle.BundleEntryComponent> entries = invalid.getEntry();
        int observation = indexOf(entries, "Observation", 0);
        int encounter = indexOf(entries, "Encounter", 0);
        int claim = indexOf(entries, "Claim", entries.size() / 2);
        ((Observation) entries.get(observation).getResource()).setStatus(null);
        ((Encounter) entries.get(encounter).getResource()).setClass_(null);
        ((org.hl7.fhir.r4.model.Claim) entries.get(claim).getResource()).setType(null);
        // And HL7's own validator test cases (src/test/resources/hl7-validator-cases), made about this patient.
        String subject = entries.stream().filter(e -> e.getResource() instanceof Patient).findFirst().orElseThrow().getFullUrl();
        List<Integer> hl7 = new ArrayList<>();
        for (String file : List.of("encounter-period.json", "risk-assessment-probability-range.json")) {
            Resource r = (Resource) FHIR.newJsonParser().parseResource(hl7ValidatorCase(file));
            r.setId((String) null);
            if (r instanceof Encounter e) {
                e.setSubject(new Reference(subject));
            } else {
                ((org.hl7.fhir.r4.model.RiskAssessment) r).setSubject(new Reference(subject));
            }
            hl7.add(entries.size());
            add(invalid, r);
        }
        HttpResponse<String> refused = postBundle(invalid, doctorToken);
        assertEquals(422, refused.statusCode(), refused.body());
        OperationOutcome outcome = (OperationOutcome) valid(FHIR.newJsonParser().parseResource(OperationOutcome.class, refused.body()));
        assertEquals("INVALID_RESOURCE", outcome.getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        List<Integer> named = new ArrayList<>(List.of(observation, encounter, claim));
        named.addAll(hl7);
        for (int i : named) {
            assertTrue(outcome.getIssue().stream().anyMatch(issue -> issue.getSeverity() == OperationOutcome.IssueSeverity.ERROR
                    && issue.getExpression().stream().anyMatch(x -> x.getValue().startsWith("Bundle.entry[" + i + "]"))),
                    "entry " + i + " is named: " + refused.body());
        }
        // The same refusal as an asynchronous job: the job's answer is the OperationOutcome.
        HttpResponse<String> kick = postBundle(invalid, doctorToken, "Prefer", "respond-async");
        assertEquals(202, kick.statusCode(), kick.body());
        HttpResponse<String> job = awaitImport(kick.headers().firstValue("Content-Location").orElseThrow(), doctorToken);
        assertEquals(422, job.statusCode(), job.body());
        assertTrue(job.body().contains("Bundle.entry[" + observation + "]"), job.body());

        // An unknown element, and two values where R4 allows one, are refused by the strict parser, naming them.
        String json = FHIR.newJsonParser().encodeResourceToString(syntheaHistoryOf(patient));
        String unknown = json.replaceFirst("\"resourceType\":\"Encounter\",", "\"resourceType\":\"Encounter\",\"colour\":\"blue\",");
        // (An element Synthea's Conditions do not have: a second key of one they have would override this one.)
        String twoLanguages = json.replaceFirst("\"resourceType\":\"Condition\",", "\"resourceType\":\"Condition\",\"language\":"
                + "[\"en\",\"fr\"],");
        assertTrue(syntheaHistory().getEntry().stream().noneMatch(e -> e.getResource() instanceof Condition c && c.hasLanguage()));
        // HL7's cases "synthea" (an Encounter's status 'completed', which R4 does not have) and "allergy" (a category
        // with an extension in place of its code, whose _category array HAPI's strict parser refuses).
        String hl7Synthea = withEntry(json, hl7ValidatorCase("synthea.json"), "Encounter");
        String hl7Allergy = withEntry(json, hl7ValidatorCase("allergy.json"), "AllergyIntolerance");
        for (var broken : java.util.Map.of("colour", unknown, "language", twoLanguages, "completed", hl7Synthea, "_category", hl7Allergy)
                .entrySet()) {
            assertFalse(broken.getValue().equals(json), "the fixture has the entry to break");
            HttpResponse<String> malformed = postBundle(broken.getValue(), doctorToken);
            assertEquals(400, malformed.statusCode(), malformed.body());
            OperationOutcome o = (OperationOutcome) valid(FHIR.newJsonParser().parseResource(OperationOutcome.class, malformed.body()));
            assertEquals("INVALID_INPUT", o.getIssueFirstRep().getDetails().getCodingFirstRep().getCode(), malformed.body());
            assertTrue(o.getIssueFirstRep().getDiagnostics().contains(broken.getKey()), malformed.body());
        }

        // Nothing of any of them is readable, nor on the ledger: the patient's record is their registration alone.
        assertEquals(List.of("Patient/" + patient), everything(patient));
        long head = net.status(1).getJsonNumber("height").longValue();
        for (long h = height + 1; h <= head; h++) {
            for (JsonObject tx : net.get(1, "/blocks/" + h + "/transactions", adminToken).json().getJsonArray("transactions")
                    .getValuesAs(JsonObject.class)) {
                assertEquals("RECORD_ACCESS", tx.getString("type"), "block " + h);
            }
        }
    }

    @Test
    @Order(13)
    void aResourceDeclaringAnIpsProfileIsCheckedAgainstItAndRefusedWhenItViolatesIt() {
        String ips = "http://hl7.org/fhir/uv/ips/StructureDefinition/Condition-uv-ips";
        Condition problem = new Condition()
                .setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)))
                .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "Diabetes mellitus type 2")))
                .setSubject(new Reference("Patient/" + patientId)).setOnset(new DateTimeType("2019-04-02"));
        problem.getMeta().addProfile(ips);
        // Conforming: kept, and no warning (the profile was checked; the server ships the IPS package).
        MethodOutcome created = client(patientToken).create().resource(problem)
                .prefer(ca.uhn.fhir.rest.api.PreferReturnEnum.OPERATION_OUTCOME).execute();
        OperationOutcome outcome = (OperationOutcome) created.getOperationOutcome();
        assertTrue(outcome.getIssue().stream().noneMatch(i -> i.getSeverity() == OperationOutcome.IssueSeverity.WARNING),
                () -> FHIR.newJsonParser().encodeResourceToString(outcome));
        Condition read = valid(client(patientToken).read().resource(Condition.class).withId(created.getId().getIdPart()).execute());
        assertEquals("44054006", read.getCode().getCodingFirstRep().getCode());

        // Without a code, which IPS requires and the base specification does not: refused, naming the profile.
        int before = count(client(patientToken), Condition.class);
        problem.setCode(null);
        UnprocessableEntityException refused = assertThrows(UnprocessableEntityException.class,
                () -> client(patientToken).create().resource(problem).execute());
        assertEquals("INVALID_RESOURCE", code(refused));
        OperationOutcome why = (OperationOutcome) refused.getOperationOutcome();
        assertTrue(why.getIssue().stream().anyMatch(i -> i.getSeverity() == OperationOutcome.IssueSeverity.ERROR
                && i.getDiagnostics().contains(ips) && i.getDiagnostics().contains("Condition.code") && i.hasExpression()),
                () -> FHIR.newJsonParser().encodeResourceToString(why));
        assertEquals(before, count(client(patientToken), Condition.class), "nothing was written");
    }

    /** A bundle's JSON with one more entry, a resource's JSON as it is, created with POST. */
    private static String withEntry(String bundleJson, String resourceJson, String type) {
        return bundleJson.substring(0, bundleJson.lastIndexOf("]}")) + ",{\"fullUrl\":\"urn:uuid:" + UUID.randomUUID()
                + "\",\"resource\":" + resourceJson + ",\"request\":{\"method\":\"POST\",\"url\":\"" + type + "\"}}]}";
    }

    /** One of HL7's validator test cases kept in src/test/resources/hl7-validator-cases, as JSON. */
    private static String hl7ValidatorCase(String file) throws java.io.IOException {
        try (var in = FhirIT.class.getResourceAsStream("/hl7-validator-cases/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The index of the first entry at or after {@code from} holding a resource of this type. */
    private static int indexOf(List<Bundle.BundleEntryComponent> entries, String type, int from) {
        for (int i = from; i < entries.size(); i++) {
            if (entries.get(i).getResource().fhirType().equals(type)) {
                return i;
            }
        }
        throw new AssertionError("the Synthea fixture has no " + type + " after entry " + from);
    }

    private static java.util.Map<String, Long> countByType(java.util.Collection<String> typeSlashIds) {
        return typeSlashIds.stream().collect(java.util.stream.Collectors.groupingBy(t -> t.substring(0, t.indexOf('/')),
                java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }

    @Test
    @Order(22)
    void aSyntheaPatientsWholeHistoryIsImportedOnceAndEverythingReturnsEveryEntry() throws Exception {
        String patient = syntheticPatient();
        Bundle history = syntheaHistoryOf(patient);
        assertTrue(history.getEntry().size() > 100, "more than one consensus request: " + history.getEntry().size());

        HttpResponse<String> kick = postBundle(history, doctorToken, "Prefer", "respond-async");
        assertEquals(202, kick.statusCode(), kick.body());
        HttpResponse<String> done = awaitImport(kick.headers().firstValue("Content-Location").orElseThrow(), doctorToken);
        assertEquals(200, done.statusCode(), done.body());
        List<String> created = locations(done.body()).stream().map(l -> l.replace("/_history/1", "")).toList();
        assertEquals(history.getEntry().size(), created.size(), "one response entry per bundle entry");
        for (int i = 0; i < created.size(); i++) {
            String type = history.getEntry().get(i).getResource().fhirType();
            assertTrue(created.get(i).startsWith(type + "/"), "entry " + i + " (" + type + ") is at " + created.get(i));
        }
        assertEquals("Patient/" + patient, created.get(0), "the generated patient is the registered one");

        // $everything is the bundle: the same resources, type by type, at the ids the transaction-response gave.
        List<String> everything = everything(patient);
        assertEquals(countByType(history.getEntry().stream().map(e -> e.getResource().fhirType() + "/x").toList()),
                countByType(everything));
        assertEquals(new java.util.TreeSet<>(created), new java.util.TreeSet<>(everything));
        assertEquals(created.size(), everything.size(), "nothing twice");
        // References between entries now point at the ledger ids.
        int first = indexOf(history.getEntry(), "Observation", 0);
        Observation o = valid(doctor().read().resource(Observation.class).withId(new IdType(created.get(first)).getIdPart()).execute());
        assertEquals("Patient/" + patient, o.getSubject().getReference());
        assertTrue(created.contains(o.getEncounter().getReference()), o.getEncounter().getReference());

        // The same bundle again creates nothing new and is answered as the first time.
        HttpResponse<String> again = postBundle(syntheaHistoryOf(patient), doctorToken);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(created, locations(again.body()).stream().map(l -> l.replace("/_history/1", "")).toList());
        assertEquals(everything, everything(patient));
    }

    /** A request with a real HTTP client to a full URL (or a path under the facade), with headers as name, value pairs. */
    private static HttpResponse<String> http(String method, String url, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.startsWith("http") ? url : net.web(1) + "/fhir/r4/" + url))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Kicks off a bulk export as the caller: 202 and the status URL. */
    private static String kickOff(String path, String token, String... headers) throws Exception {
        List<String> h = new ArrayList<>(List.of("Prefer", "respond-async", "Accept", "application/fhir+json"));
        h.addAll(List.of(headers));
        HttpResponse<String> kick = http("GET", path, token, h.toArray(String[]::new));
        assertEquals(202, kick.statusCode(), kick.body());
        return kick.headers().firstValue("Content-Location").orElseThrow();
    }

    /** Polls a bulk export's status until it is done (202 with progress meanwhile): its output manifest. */
    private static JsonObject manifest(String status, String token) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (true) {
            HttpResponse<String> r = http("GET", status, token);
            if (r.statusCode() == 200) {
                return Json.createReader(new java.io.StringReader(r.body())).readObject();
            }
            assertEquals(202, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("X-Progress").orElseThrow().contains(" of "), "progress is reported");
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            assertTrue(System.currentTimeMillis() < deadline, "the export finishes within 3 minutes");
            Thread.sleep(500);
        }
    }

    /** Downloads every output file of a manifest; each line is a resource of the file's type; counts by type. */
    private static java.util.Map<String, Integer> download(JsonObject manifest, String token) throws Exception {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (var f : manifest.getJsonArray("output").getValuesAs(JsonObject.class)) {
            HttpResponse<String> file = http("GET", f.getString("url"), token, "Accept", "application/fhir+ndjson");
            assertEquals(200, file.statusCode(), file.body());
            assertTrue(file.headers().firstValue("Content-Type").orElseThrow().startsWith("application/fhir+ndjson"));
            List<String> lines = file.body().lines().toList();
            for (String line : lines) {
                Resource r = (Resource) FHIR.newJsonParser().parseResource(line);
                assertEquals(f.getString("type"), r.fhirType(), line);
            }
            assertEquals(f.getInt("count"), lines.size(), "the manifest's count of " + f.getString("type"));
            counts.put(f.getString("type"), lines.size());
        }
        return counts;
    }

    @Test
    @Order(14)
    void aBulkExportIsKickedOffPolledAndDownloadedAsNdjsonByItsCallerAlone() throws Exception {
        // Without Prefer: respond-async, 400 with an OperationOutcome; the capability statement lists $export.
        HttpResponse<String> sync = http("GET", "Patient/$export", patientToken, "Accept", "application/fhir+json");
        assertEquals(400, sync.statusCode());
        assertEquals("INVALID_INPUT", ((OperationOutcome) FHIR.newJsonParser().parseResource(sync.body()))
                .getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        CapabilityStatement c = client(null).capabilities().ofType(CapabilityStatement.class).execute();
        assertTrue(c.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals("Patient"))
                .anyMatch(r -> r.getOperation().stream().anyMatch(o -> o.getName().equals("export"))));

        // The patient exports their own record: every file parses, and together they are what $everything holds.
        String status = kickOff("Patient/$export", patientToken);
        JsonObject m = manifest(status, patientToken);
        assertTrue(m.getBoolean("requiresAccessToken"));
        assertTrue(m.getString("request").endsWith("/fhir/r4/Patient/$export"), m.getString("request"));
        assertTrue(m.getJsonArray("error").isEmpty(), m.toString());
        java.util.Map<String, Integer> counts = download(m, patientToken);
        Bundle everything = client(patientToken).operation().onInstance(new IdType("Patient", patientId)).named("$everything")
                .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute();
        assertEquals(everything.getTotal(), counts.values().stream().mapToInt(Integer::intValue).sum(), counts.toString());
        assertEquals(1, counts.get("Patient"));
        assertEquals(count(client(patientToken), Observation.class), counts.get("Observation"));

        // The files are the caller's alone: another patient, the practitioner and the administrator get 404, a stranger 401.
        Patient other = new Patient();
        other.addName().setText("Ada Lovelace");
        other.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1985-12-10"));
        other.addTelecom().setSystem(org.hl7.fhir.r4.model.ContactPoint.ContactPointSystem.EMAIL).setValue("ada@example.org");
        MethodOutcome registered = client(adminToken).create().resource(other).execute();
        String otherId = registered.getId().getIdPart();
        String code = registered.getResponseHeaders().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("X-Enrolment-Code")).findFirst().orElseThrow().getValue().get(0);
        String otherToken = net.signIn(1, otherId, net.enrol(1, otherId, code));
        String observations = m.getJsonArray("output").getValuesAs(JsonObject.class).stream()
                .filter(f -> f.getString("type").equals("Observation")).findFirst().orElseThrow().getString("url");
        for (String stranger : List.of(otherToken, doctorToken, adminToken)) {
            assertEquals(404, http("GET", observations, stranger).statusCode());
            assertEquals(404, http("GET", status, stranger).statusCode());
            assertEquals(404, http("DELETE", status, stranger).statusCode());
        }
        assertEquals(401, http("GET", observations, null).statusCode());
        // Another patient's record is not theirs to export: the refused read is an error in the manifest, no output.
        JsonObject refused = manifest(kickOff("Patient/" + patientId + "/$export", otherToken), otherToken);
        assertTrue(refused.getJsonArray("output").isEmpty(), refused.toString());
        assertEquals(1, refused.getJsonArray("error").getJsonObject(0).getInt("count"));

        // _type narrows the export; the practitioner exports the patient's compartment under consent, stating why.
        JsonObject onlyObservations = manifest(kickOff("Patient/$export?_type=Observation&_outputFormat=ndjson", patientToken),
                patientToken);
        assertEquals(java.util.Map.of("Observation", counts.get("Observation")), download(onlyObservations, patientToken));
        JsonObject byDoctor = manifest(kickOff("Patient/" + patientId + "/$export?_type=Observation,Condition", doctorToken,
                "X-Access-Reason", REASON), doctorToken);
        java.util.Map<String, Integer> doctors = download(byDoctor, doctorToken);
        assertEquals(counts.get("Observation"), doctors.get("Observation"));
        assertEquals(counts.get("Condition"), doctors.get("Condition"));

        // DELETE cancels an export and removes it with its files.
        String cancelled = kickOff("Patient/$export", patientToken);
        assertEquals(202, http("DELETE", cancelled, patientToken).statusCode());
        assertEquals(404, http("GET", cancelled, patientToken).statusCode());
        assertEquals(202, http("DELETE", status, patientToken).statusCode());
        assertEquals(404, http("GET", observations, patientToken).statusCode());
    }

    private static JsonObject json(String s) {
        return Json.createReader(new java.io.StringReader(s)).readObject();
    }

    private static String codeOf(BaseServerResponseException e) {
        return ((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDetails().getCodingFirstRep().getCode();
    }

    /**
     * A patient's history as another EHR exports it, {@code records} entries after the Patient: encounters and, in
     * each, an observation, a condition, a prescription and a lab report with its PDF-like text as a
     * {@code presentedForm} attachment of {@code attachmentBytes}, referring to each other by {@code urn:uuid:}.
     */
    static Bundle wholeHistory(String patientId, int records, int attachmentBytes, String label) {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient p = new Patient();
        p.addIdentifier().setSystem("urn:ehr-ledger:patient").setValue(patientId);
        String patientUrl = "urn:uuid:" + UUID.randomUUID();
        b.addEntry().setFullUrl(patientUrl).setResource(p).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/" + patientId);
        Reference subject = new Reference(patientUrl);
        Reference encounter = null;
        for (int i = 0; i < records; i++) {
            Date at = new Date(1_600_000_000_000L + i * 86_400_000L);
            Resource r;
            switch (i % 5) {
                case 0 -> r = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
                        .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
                        .setSubject(subject).setPeriod(new Period().setStart(at).setEnd(at));
                case 1 -> r = vital("2339-0", "Glucose [Mass/volume] in Blood", String.valueOf(90 + i % 60), "mg/dL", "mg/dL", subject,
                        encounter, "laboratory");
                case 2 -> r = new Condition().setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "38341003",
                        "Hypertensive disorder"))).setSubject(subject).setEncounter(encounter).setRecordedDate(at);
                case 3 -> r = new MedicationRequest().setStatus(MedicationRequest.MedicationRequestStatus.COMPLETED)
                        .setIntent(MedicationRequest.MedicationRequestIntent.ORDER)
                        .setMedication(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm", "860975",
                                "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")))
                        .setSubject(subject).setEncounter(encounter).setAuthoredOn(at);
                default -> {
                    org.hl7.fhir.r4.model.DiagnosticReport report = new org.hl7.fhir.r4.model.DiagnosticReport()
                            .setStatus(org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus.FINAL)
                            .setCode(new CodeableConcept(new Coding("http://loinc.org", "24323-8", "Comprehensive metabolic panel")))
                            .setSubject(subject).setEncounter(encounter).setEffective(new DateTimeType(at));
                    report.addPresentedForm().setContentType("text/plain").setTitle(label + " report " + i)
                            .setData(("Report " + i + " of " + label + ". ").repeat(attachmentBytes / 10 + 1)
                                    .substring(0, attachmentBytes).getBytes(StandardCharsets.UTF_8));
                    r = report;
                }
            }
            String url = add(b, r);
            if (i % 5 == 0) {
                encounter = new Reference(url);
            }
        }
        return b;
    }

    private static HttpResponse<String> postBundle(Bundle bundle, String token, String... headers) throws Exception {
        return postBundle(FHIR.newJsonParser().encodeResourceToString(bundle), token, headers);
    }

    /** Posts a bundle's JSON to the facade's base URL as the caller, stating why, with headers as name, value pairs. */
    private static HttpResponse<String> postBundle(String json, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4"))
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/fhir+json")
                .header("X-Access-Reason", REASON).timeout(java.time.Duration.ofMinutes(5));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int everythingTotal() {
        return doctor().operation().onInstance(new IdType("Patient", patientId)).named("$everything")
                .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute().getTotal();
    }

    private static List<String> locations(String transactionResponse) {
        Bundle response = FHIR.newJsonParser().parseResource(Bundle.class, transactionResponse);
        assertEquals(Bundle.BundleType.TRANSACTIONRESPONSE, response.getType());
        return response.getEntry().stream().map(e -> e.getResponse().getLocation()).toList();
    }

    /** Polls an import's status URL until it is done (202 with X-Progress meanwhile): the final answer. */
    private static HttpResponse<String> awaitImport(String status, String token) throws Exception {
        long deadline = System.currentTimeMillis() + 300_000;
        while (true) {
            HttpResponse<String> r = http("GET", status, token, "Accept", "application/fhir+json");
            if (r.statusCode() != 202) {
                return r;
            }
            String progress = r.headers().firstValue("X-Progress").orElseThrow();
            assertTrue(progress.matches(".* of \\d+ entries .*\\(\\d+%\\)"), progress);
            assertTrue(System.currentTimeMillis() < deadline, "the import finishes within 5 minutes");
            Thread.sleep(300);
        }
    }

    @Test
    @Order(15)
    void aSmartAppAuthorizedWithPkceReadsOnlyWithinItsScopesAndItsRefreshTokensRotate() throws Exception {
        // Discovery, in the well-known document and in the capability statement.
        HttpResponse<String> wk = http("GET", ".well-known/smart-configuration", null);
        assertEquals(200, wk.statusCode(), wk.body());
        JsonObject conf = json(wk.body());
        String fhirBase = net.web(1) + "/fhir/r4";
        assertEquals(List.of("S256"), conf.getJsonArray("code_challenge_methods_supported").getValuesAs(jakarta.json.JsonString.class)
                .stream().map(jakarta.json.JsonString::getString).toList());
        for (String capability : List.of("launch-standalone", "client-public", "client-confidential-asymmetric",
                "context-standalone-patient", "permission-patient", "permission-user", "permission-offline")) {
            assertTrue(conf.getJsonArray("capabilities").toString().contains("\"" + capability + "\""), capability);
        }
        assertTrue(conf.getJsonArray("token_endpoint_auth_methods_supported").toString().contains("private_key_jwt"));
        CapabilityStatement c = client(null).capabilities().ofType(CapabilityStatement.class).execute();
        assertEquals(conf.getString("token_endpoint"), c.getRestFirstRep().getSecurity()
                .getExtensionByUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris").getExtensionString("token"));

        // An administrator registers the app (nobody else may); the redirect URI is matched exactly.
        String redirect = "http://127.0.0.1:9/vitals/callback";
        JsonObject app = Json.createObjectBuilder().add("name", "Vitals viewer")
                .add("redirectUris", Json.createArrayBuilder().add(redirect))
                .add("scope", "launch/patient offline_access patient/Observation.read patient/Patient.read").build();
        assertEquals(403, net.post(1, "/smart-clients", doctorToken, app).status());
        LocalNetwork.Reply registered = net.post(1, "/smart-clients", adminToken, app);
        assertEquals(201, registered.status(), registered.raw());
        SmartApp vitals = new SmartApp(registered.str("clientId"), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        String scope = "launch/patient offline_access patient/Observation.read patient/Condition.read";

        // No open redirect: a redirect URI not registered is answered by the server, not followed.
        URI request = vitals.authorizationRequest(scope);
        HttpResponse<String> elsewhere = vitals.get(URI.create(request.toString().replace(
                java.net.URLEncoder.encode(redirect, StandardCharsets.UTF_8), "https%3A%2F%2Fevil.example%2Fcb")));
        assertEquals(400, elsewhere.statusCode());
        assertTrue(elsewhere.headers().firstValue("Location").isEmpty());
        // No PKCE downgrade: without S256 the app is told invalid_request (with its state).
        URI plain = SmartApp.location(vitals.get(URI.create(request.toString().replace("code_challenge_method=S256",
                "code_challenge_method=plain"))));
        com.nimbusds.oauth2.sdk.AuthorizationResponse noPkce = SmartApp.response(plain);
        assertEquals("invalid_request", noPkce.toErrorResponse().getErrorObject().getCode());
        assertEquals(vitals.state, noPkce.getState());

        // The patient signs in through the portal and sees the consent page (which may not be framed), then allows.
        HttpResponse<String> consent = vitals.toConsentPage(request, patientId, patientPassword);
        assertEquals(200, consent.statusCode(), consent.body());
        assertTrue(consent.body().contains("Vitals viewer"), consent.body());
        assertTrue(consent.body().contains("patient/Observation.rs"), "the page shows the scopes granted");
        assertFalse(consent.body().contains("patient/Condition"), "a scope the app is not registered for is not offered");
        assertEquals("DENY", consent.headers().firstValue("X-Frame-Options").orElseThrow());
        assertTrue(consent.headers().firstValue("Content-Security-Policy").orElseThrow().contains("frame-ancestors 'none'"));
        // CSRF: an approval posted without the page's view state gives the app nothing.
        HttpResponse<String> forged = vitals.submit(consent.uri(), "name=\"jakarta.faces.ViewState\" value=\"-1:-1\"",
                java.util.Map.of("consent", "consent", "approve", "approve", "request", SmartApp.query(consent.uri(), "request")));
        assertFalse(forged.headers().firstValue("Location").orElse("").contains("code="), forged.headers().toString());
        com.nimbusds.oauth2.sdk.AuthorizationResponse answer = SmartApp.response(vitals.answer(consent, "approve", null));
        assertEquals(vitals.state, answer.getState(), "the state comes back");
        com.nimbusds.oauth2.sdk.AuthorizationCode code = answer.toSuccessResponse().getAuthorizationCode();

        // The code, with the PKCE verifier, gives a token for this patient with the scopes granted.
        com.nimbusds.oauth2.sdk.AccessTokenResponse tokens = vitals.exchange(code, vitals.verifier).toSuccessResponse();
        assertEquals(patientId, tokens.getCustomParameters().get("patient"));
        assertEquals("launch/patient offline_access patient/Observation.rs", tokens.getTokens().getAccessToken().getScope().toString());
        assertFalse(tokens.getCustomParameters().containsKey("id_token"), "no ID token without openid");
        assertTrue(tokens.getTokens().getAccessToken().getLifetime() > 0);
        String access = tokens.getTokens().getAccessToken().getValue();

        // Within scope: the patient's Observations, as the patient sees them. Outside: Conditions, the Patient, writes.
        IGenericClient app1 = client(access);
        assertEquals(count(client(patientToken), Observation.class), count(app1, Observation.class));
        assertTrue(count(app1, Observation.class) > 0);
        ForbiddenOperationException condition = assertThrows(ForbiddenOperationException.class, () -> app1.search()
                .forResource(Condition.class).where(Condition.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute());
        assertEquals("FORBIDDEN", codeOf(condition));
        assertThrows(ForbiddenOperationException.class, () -> app1.read().resource(Patient.class).withId(patientId).execute());
        assertThrows(ForbiddenOperationException.class, () -> app1.search().forResource(Observation.class)
                .where(Observation.PATIENT.hasId(patientId)).include(Observation.INCLUDE_ENCOUNTER).returnBundle(Bundle.class).execute(),
                "an included type needs a scope of its own");
        Observation note = new Observation();
        note.setStatus(Observation.ObservationStatus.FINAL).setSubject(new Reference("Patient/" + patientId))
                .getCode().addCoding().setSystem("http://loinc.org").setCode("8867-4");
        assertThrows(ForbiddenOperationException.class, () -> app1.create().resource(note).execute());
        // An app's token is for the FHIR facade only, not the JSON API.
        assertEquals(403, http("GET", net.base(1) + "/patients/" + patientId, access).statusCode());

        // Refresh tokens rotate; the previous access token ends; a refresh token used twice revokes the authorization.
        com.nimbusds.oauth2.sdk.token.RefreshToken refresh = tokens.getTokens().getRefreshToken();
        com.nimbusds.oauth2.sdk.AccessTokenResponse refreshed = vitals.token(new com.nimbusds.oauth2.sdk.RefreshTokenGrant(refresh))
                .toSuccessResponse();
        String access2 = refreshed.getTokens().getAccessToken().getValue();
        assertEquals(401, http("GET", "Observation?patient=" + patientId, access).statusCode());
        assertEquals(200, http("GET", "Observation?patient=" + patientId, access2).statusCode());
        assertEquals("invalid_grant", vitals.token(new com.nimbusds.oauth2.sdk.RefreshTokenGrant(refresh)).toErrorResponse()
                .getErrorObject().getCode());
        assertEquals(401, http("GET", "Observation?patient=" + patientId, access2).statusCode());
        // A code is used once.
        assertEquals("invalid_grant", vitals.exchange(code, vitals.verifier).toErrorResponse().getErrorObject().getCode());
        // The refusals are in the audit log, and no code or token is anywhere in it.
        String log = Files.readString(net.home.resolve("node-1/replica.log"));
        assertTrue(log.contains("SMART token request refused (invalid_grant)"), "refused token requests are logged");
        for (String secret : List.of(code.getValue(), access, access2, refresh.getValue(),
                refreshed.getTokens().getRefreshToken().getValue())) {
            assertFalse(log.contains(secret), "a code or token in the replica's log");
        }

        // A practitioner's app with a patient in context reads that patient (under their consent), no other.
        SmartApp chart = new SmartApp(registered.str("clientId"), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        HttpResponse<String> doctorsConsent = chart.toConsentPage(chart.authorizationRequest("launch/patient patient/Observation.read"),
                "dr-fhir", doctorPassword);
        assertEquals(200, doctorsConsent.statusCode(), doctorsConsent.body());
        String doctorsAccess = chart.exchange(SmartApp.response(chart.answer(doctorsConsent, "approve", patientId))
                .toSuccessResponse().getAuthorizationCode(), chart.verifier).toSuccessResponse().getTokens().getAccessToken().getValue();
        assertEquals(200, http("GET", "Observation?patient=" + patientId, doctorsAccess, "X-Access-Reason", REASON).statusCode());
        HttpResponse<String> another = http("GET", "Observation?patient=P-AAAAA-AAAAA", doctorsAccess, "X-Access-Reason", REASON);
        assertEquals(403, another.statusCode());
        assertTrue(another.body().contains("for patient " + patientId + " only"), another.body());
        // Denying sends access_denied back, with the state.
        SmartApp denied = new SmartApp(registered.str("clientId"), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        com.nimbusds.oauth2.sdk.AuthorizationResponse no = SmartApp.response(denied.answer(
                denied.toConsentPage(denied.authorizationRequest(scope), patientId, patientPassword), "deny", null));
        assertEquals("access_denied", no.toErrorResponse().getErrorObject().getCode());
        assertEquals(denied.state, no.getState());
    }

    @Test
    @Order(16)
    void aSmartAppSignsThePersonInWithOpenIdConnectAndAPractitionerLaunchesItWithTheirPatient() throws Exception {
        JsonObject conf = json(http("GET", ".well-known/smart-configuration", null).body());
        String fhirBase = net.web(1) + "/fhir/r4";
        assertTrue(conf.getJsonArray("capabilities").toString().contains("\"sso-openid-connect\""));
        assertTrue(conf.getJsonArray("capabilities").toString().contains("\"launch-ehr\""));
        HttpResponse<String> oidc = http("GET", ".well-known/openid-configuration", null);
        assertEquals(200, oidc.statusCode(), oidc.body());
        assertEquals(fhirBase, json(oidc.body()).getString("issuer"));
        assertEquals(conf.getString("jwks_uri"), json(oidc.body()).getString("jwks_uri"));
        String launchUri = "http://127.0.0.1:9/chart/launch";
        String redirect = "http://127.0.0.1:9/chart/callback";
        LocalNetwork.Reply registered = net.post(1, "/smart-clients", adminToken, Json.createObjectBuilder()
                .add("name", "Chart companion").add("redirectUris", Json.createArrayBuilder().add(redirect))
                .add("launchUri", launchUri).add("scope", "openid fhirUser launch launch/patient patient/Observation.read").build());
        assertEquals(201, registered.status(), registered.raw());
        com.nimbusds.oauth2.sdk.id.ClientID clientId = new com.nimbusds.oauth2.sdk.id.ClientID(registered.str("clientId"));
        // The app checks ID tokens as any OpenID Connect client does: issuer, audience, ES256 by a key of the JWK Set
        // published at jwks_uri (no sign-in; public keys only).
        HttpResponse<String> jwks = http("GET", conf.getString("jwks_uri"), null);
        assertEquals(200, jwks.statusCode(), jwks.body());
        com.nimbusds.jose.jwk.JWKSet published = com.nimbusds.jose.jwk.JWKSet.parse(jwks.body());
        assertFalse(published.getKeys().isEmpty());
        assertTrue(published.getKeys().stream().noneMatch(com.nimbusds.jose.jwk.JWK::isPrivate));
        com.nimbusds.openid.connect.sdk.validators.IDTokenValidator validator = new com.nimbusds.openid.connect.sdk.validators
                .IDTokenValidator(new com.nimbusds.oauth2.sdk.id.Issuer(fhirBase), clientId, com.nimbusds.jose.JWSAlgorithm.ES256,
                published);

        // Standalone: the patient signs in to the app; the ID token names them and their Patient resource.
        SmartApp standalone = new SmartApp(clientId.getValue(), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        com.nimbusds.openid.connect.sdk.Nonce nonce = new com.nimbusds.openid.connect.sdk.Nonce();
        HttpResponse<String> consent = standalone.toConsentPage(standalone.authenticationRequest(
                "openid fhirUser launch/patient patient/Observation.read", nonce, null), patientId, patientPassword);
        assertEquals(200, consent.statusCode(), consent.body());
        assertTrue(consent.body().contains("openid fhirUser"), "the consent page says the app learns who the person is");
        com.nimbusds.openid.connect.sdk.OIDCTokenResponse signedIn = standalone.exchangeForIdToken(SmartApp.response(
                standalone.answer(consent, "approve", null)).toSuccessResponse().getAuthorizationCode());
        com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet patientClaims = validator.validate(
                signedIn.getOIDCTokens().getIDToken(), nonce);
        assertEquals(patientId, patientClaims.getSubject().getValue());
        assertEquals(fhirBase + "/Patient/" + patientId, patientClaims.getStringClaim("fhirUser"));
        assertEquals(patientId, signedIn.getCustomParameters().get("patient"));
        assertThrows(com.nimbusds.jose.proc.BadJOSEException.class, () -> validator.validate(signedIn.getOIDCTokens().getIDToken(),
                new com.nimbusds.openid.connect.sdk.Nonce()), "another sign-in's nonce is refused");
        // fhirUser is a resource of this server.
        HttpResponse<String> me = http("GET", patientClaims.getStringClaim("fhirUser"), patientToken);
        assertEquals(200, me.statusCode(), me.body());

        // EHR launch: the practitioner launches the app with the patient (the chart's button does the same).
        assertEquals(403, net.post(1, "/smart-clients/" + clientId.getValue() + "/launches", patientToken,
                Json.createObjectBuilder().add("patient", patientId).build()).status(), "only practitioners launch");
        LocalNetwork.Reply launched = net.post(1, "/smart-clients/" + clientId.getValue() + "/launches", doctorToken,
                Json.createObjectBuilder().add("patient", patientId).build());
        assertEquals(201, launched.status(), launched.raw());
        URI launchUrl = URI.create(launched.str("launchUrl"));
        assertTrue(launchUrl.toString().startsWith(launchUri + "?"), launchUrl.toString());
        assertEquals(fhirBase, SmartApp.query(launchUrl, "iss"));
        String launch = SmartApp.query(launchUrl, "launch");
        SmartApp ehr = new SmartApp(clientId.getValue(), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), SmartApp.query(launchUrl, "iss"));
        com.nimbusds.openid.connect.sdk.Nonce ehrNonce = new com.nimbusds.openid.connect.sdk.Nonce();
        HttpResponse<String> doctorsConsent = ehr.toConsentPage(ehr.authenticationRequest(
                "launch openid fhirUser patient/Observation.read", ehrNonce, launch), "dr-fhir", doctorPassword);
        assertEquals(200, doctorsConsent.statusCode(), doctorsConsent.body());
        assertTrue(doctorsConsent.body().contains("Know the patient you had open: " + patientId), doctorsConsent.body());
        assertFalse(doctorsConsent.body().contains("id=\"patient\""), "the practitioner does not choose: the launch did");
        com.nimbusds.openid.connect.sdk.OIDCTokenResponse ehrTokens = ehr.exchangeForIdToken(SmartApp.response(
                ehr.answer(doctorsConsent, "approve", null)).toSuccessResponse().getAuthorizationCode());
        assertEquals(patientId, ehrTokens.getCustomParameters().get("patient"), "the patient the practitioner launched with");
        assertEquals("openid fhirUser launch patient/Observation.rs", ehrTokens.getOIDCTokens().getAccessToken().getScope().toString());
        com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet doctorClaims = validator.validate(
                ehrTokens.getOIDCTokens().getIDToken(), ehrNonce);
        assertEquals("dr-fhir", doctorClaims.getSubject().getValue());
        assertEquals(fhirBase + "/Practitioner/dr-fhir", doctorClaims.getStringClaim("fhirUser"));
        String ehrAccess = ehrTokens.getOIDCTokens().getAccessToken().getValue();
        assertEquals(200, http("GET", "Observation?patient=" + patientId, ehrAccess, "X-Access-Reason", REASON).statusCode());
        assertEquals(403, http("GET", "Observation?patient=P-AAAAA-AAAAA", ehrAccess, "X-Access-Reason", REASON).statusCode());

        // The chart's button in the portal: once the practitioner opened the record, it sends them to the app's
        // launch URL with a launch the app can use (here the app's authorization request reaches the consent page).
        SmartApp portal = new SmartApp(clientId.getValue(), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        portal.signIn(net.web(1), "dr-fhir", doctorPassword);
        HttpResponse<String> chart = portal.get(URI.create(net.web(1) + "/doctor/chart.xhtml?patient=" + patientId));
        assertEquals(200, chart.statusCode(), chart.body());
        assertFalse(chart.body().contains("launchAppButton"), "no launch before the record is opened");
        HttpResponse<String> opened = portal.submit(chart.uri(), chart.body(), java.util.Map.of("open", "open", "reason", "Treatment",
                "reasonDetail", "", "openRecord", "Open record"));
        assertEquals(200, opened.statusCode(), opened.body());
        assertTrue(opened.body().contains("Chart companion"), opened.body());
        assertTrue(opened.headers().firstValue("Content-Security-Policy").orElseThrow().contains("form-action 'self' http://127.0.0.1:9"),
                "the launch form may lead to the app's launch origin");
        URI fromChart = SmartApp.location(portal.submit(opened.uri(), opened.body(), java.util.Map.of("launch", "launch",
                "launchApp", clientId.getValue(), "launchAppButton", "Launch")));
        assertTrue(fromChart.toString().startsWith(launchUri + "?"), fromChart.toString());
        assertEquals(fhirBase, SmartApp.query(fromChart, "iss"));
        HttpResponse<String> toConsent = portal.get(portal.authenticationRequest("launch openid patient/Observation.read",
                new com.nimbusds.openid.connect.sdk.Nonce(), SmartApp.query(fromChart, "launch")));
        assertEquals(302, toConsent.statusCode());
        assertTrue(SmartApp.location(toConsent).getPath().endsWith("/smart/consent.xhtml"), SmartApp.location(toConsent).toString());

        // A launch is used once; one created for another user is refused when that user would approve it.
        SmartApp replay = new SmartApp(clientId.getValue(), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        com.nimbusds.oauth2.sdk.AuthorizationResponse used = SmartApp.response(SmartApp.location(replay.get(
                replay.authenticationRequest("launch openid patient/Observation.read", new com.nimbusds.openid.connect.sdk.Nonce(),
                        launch))));
        assertEquals("invalid_request", used.toErrorResponse().getErrorObject().getCode());
        assertEquals(replay.state, used.getState());
        String doctorsLaunch = SmartApp.query(URI.create(net.post(1, "/smart-clients/" + clientId.getValue() + "/launches",
                doctorToken, Json.createObjectBuilder().add("patient", patientId).build()).str("launchUrl")), "launch");
        SmartApp stolen = new SmartApp(clientId.getValue(), redirect, conf.getString("authorization_endpoint"),
                conf.getString("token_endpoint"), fhirBase);
        HttpResponse<String> patientsConsent = stolen.toConsentPage(stolen.authenticationRequest(
                "launch openid patient/Observation.read", new com.nimbusds.openid.connect.sdk.Nonce(), doctorsLaunch), patientId,
                patientPassword);
        com.nimbusds.oauth2.sdk.AuthorizationResponse otherUser = SmartApp.response(stolen.answer(patientsConsent, "approve", null));
        assertEquals("invalid_request", otherUser.toErrorResponse().getErrorObject().getCode());
        assertTrue(otherUser.toErrorResponse().getErrorObject().getDescription().contains("another user"));
    }

    @Test
    @Order(17)
    void aWholeHistoryLargerThanOneConsensusRequestIsImportedWholeOnceAndReadBackWithEverything() throws Exception {
        int before = everythingTotal();
        Bundle history = wholeHistory(patientId, 260, 4_000, "sync");
        HttpResponse<String> first = postBundle(history, doctorToken);
        assertEquals(200, first.statusCode(), first.body());
        List<String> created = locations(first.body());
        assertEquals(261, created.size());
        assertEquals(before + 260, everythingTotal(), "every entry committed (in several consensus requests) and readable");
        String reportId = new IdType(created.get(5)).getIdPart();
        org.hl7.fhir.r4.model.DiagnosticReport report = valid(doctor().read()
                .resource(org.hl7.fhir.r4.model.DiagnosticReport.class).withId(reportId).execute());
        assertEquals(4_000, report.getPresentedFormFirstRep().getData().length, "the attachment is kept whole");
        assertEquals(created.get(1).replace("/_history/1", ""), report.getEncounter().getReference(),
                "urn:uuid references resolved to the ledger ids");

        HttpResponse<String> again = postBundle(history, doctorToken);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(created, locations(again.body()), "the same bundle again is answered with what it created");
        assertEquals(before + 260, everythingTotal(), "and creates nothing new");

        // An invalid entry near the end refuses the whole bundle before anything is written.
        Bundle broken = wholeHistory(patientId, 240, 100, "broken");
        ((Observation) broken.getEntry().get(237).getResource()).setStatus(null);
        HttpResponse<String> refused = postBundle(broken, doctorToken);
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("Bundle.entry[237]"), refused.body());
        assertEquals(before + 260, everythingTotal());
    }

    @Test
    @Order(16)
    void aBackendServiceWithASignedJwtAssertionExportsAsItsAccount() throws Exception {
        JsonObject conf = json(http("GET", ".well-known/smart-configuration", null).body());
        URI tokenEndpoint = URI.create(conf.getString("token_endpoint"));
        com.nimbusds.jose.jwk.ECKey key = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384)
                .keyID("export-1").generate();
        JsonObject service = Json.createObjectBuilder().add("name", "Population health export")
                .add("jwks", json(new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString()))
                .add("account", "dr-fhir").add("scope", "system/*.read").build();
        LocalNetwork.Reply registered = net.post(1, "/smart-clients", adminToken, service);
        assertEquals(201, registered.status(), registered.raw());
        assertFalse(registered.raw().contains("\"d\""), "only public keys are kept");
        var clientId = new com.nimbusds.oauth2.sdk.id.ClientID(registered.str("clientId"));
        // An administrator registered it, but it acts as the practitioner only once the practitioner approves it.
        assertFalse(registered.json().getBoolean("approved"));
        var early = new com.nimbusds.oauth2.sdk.TokenRequest(tokenEndpoint, new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(clientId,
                tokenEndpoint, com.nimbusds.jose.JWSAlgorithm.ES384, key.toECPrivateKey(), "export-1", null),
                new com.nimbusds.oauth2.sdk.ClientCredentialsGrant(), new com.nimbusds.oauth2.sdk.Scope("system/*.read"));
        assertEquals("unauthorized_client", com.nimbusds.oauth2.sdk.TokenResponse.parse(early.toHTTPRequest().send())
                .toErrorResponse().getErrorObject().getCode(), "no token before the account approves the service");
        String approval = "/smart-clients/" + clientId.getValue() + "/approval";
        assertEquals(403, net.post(1, approval, adminToken, Json.createObjectBuilder().build()).status(),
                "an administrator cannot approve a service acting as somebody else");
        LocalNetwork.Reply approved = net.post(1, approval, doctorToken, Json.createObjectBuilder().build());
        assertEquals(200, approved.status(), approved.raw());
        assertTrue(approved.json().getBoolean("approved"));
        var assertion = new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(clientId, tokenEndpoint, com.nimbusds.jose.JWSAlgorithm.ES384,
                key.toECPrivateKey(), "export-1", null);
        var request = new com.nimbusds.oauth2.sdk.TokenRequest(tokenEndpoint, assertion,
                new com.nimbusds.oauth2.sdk.ClientCredentialsGrant(), new com.nimbusds.oauth2.sdk.Scope("system/*.read"));
        var tokens = com.nimbusds.oauth2.sdk.TokenResponse.parse(request.toHTTPRequest().send()).toSuccessResponse();
        String access = tokens.getTokens().getAccessToken().getValue();
        assertTrue(tokens.getTokens().getAccessToken().getLifetime() <= 300);
        // The same assertion again is a replay.
        assertEquals("invalid_client", com.nimbusds.oauth2.sdk.TokenResponse.parse(request.toHTTPRequest().send())
                .toErrorResponse().getErrorObject().getCode());
        // An assertion signed by another key is refused.
        var forged = new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(clientId, tokenEndpoint, com.nimbusds.jose.JWSAlgorithm.ES384,
                new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384).keyID("export-1").generate()
                        .toECPrivateKey(), "export-1", null);
        assertEquals("invalid_client", com.nimbusds.oauth2.sdk.TokenResponse.parse(new com.nimbusds.oauth2.sdk.TokenRequest(
                tokenEndpoint, forged, new com.nimbusds.oauth2.sdk.ClientCredentialsGrant(), null).toHTTPRequest().send())
                .toErrorResponse().getErrorObject().getCode());

        // The service exports the patient's Observations as the practitioner it acts as (under the patient's consent).
        JsonObject m = manifest(kickOff("Patient/" + patientId + "/$export?_type=Observation", access, "X-Access-Reason", REASON),
                access);
        assertEquals(java.util.Map.of("Observation", count(client(patientToken), Observation.class)), download(m, access));
        // A read-only token writes nothing.
        assertEquals(403, raw("POST", "Observation", access, "application/fhir+json", "{\"resourceType\":\"Observation\"}")
                .statusCode());

        // Introspection (RFC 7662) for a caller with client credentials only; revocation (RFC 7009) ends the token.
        URI introspect = URI.create(conf.getString("introspection_endpoint"));
        URI revoke = URI.create(conf.getString("revocation_endpoint"));
        var token = new com.nimbusds.oauth2.sdk.token.BearerAccessToken(access);
        assertEquals(401, new com.nimbusds.oauth2.sdk.TokenIntrospectionRequest(introspect, token).toHTTPRequest().send()
                .getStatusCode(), "nobody introspects anonymously");
        var active = com.nimbusds.oauth2.sdk.TokenIntrospectionResponse.parse(new com.nimbusds.oauth2.sdk.TokenIntrospectionRequest(
                introspect, new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(clientId, introspect, com.nimbusds.jose.JWSAlgorithm.ES384,
                        key.toECPrivateKey(), "export-1", null), token).toHTTPRequest().send()).toSuccessResponse();
        assertTrue(active.isActive());
        assertEquals(clientId, active.getClientID());
        assertEquals("dr-fhir", active.getSubject().getValue());
        assertEquals(200, new com.nimbusds.oauth2.sdk.TokenRevocationRequest(revoke, new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(
                clientId, tokenEndpoint, com.nimbusds.jose.JWSAlgorithm.ES384, key.toECPrivateKey(), "export-1", null), token)
                .toHTTPRequest().send().getStatusCode());
        assertEquals(401, http("GET", "Observation?patient=" + patientId, access).statusCode(), "a revoked token ends at once");
        assertFalse(com.nimbusds.oauth2.sdk.TokenIntrospectionResponse.parse(new com.nimbusds.oauth2.sdk.TokenIntrospectionRequest(
                introspect, new com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT(clientId, introspect, com.nimbusds.jose.JWSAlgorithm.ES384,
                        key.toECPrivateKey(), "export-1", null), token).toHTTPRequest().send()).toSuccessResponse().isActive());
    }

    @Test
    @Order(18)
    void anAsynchronousImportIsPolledToCompletionAndACancelledOneLeavesNothingVisible() throws Exception {
        int before = everythingTotal();
        HttpResponse<String> kick = postBundle(wholeHistory(patientId, 300, 2_000, "async"), doctorToken, "Prefer", "respond-async");
        assertEquals(202, kick.statusCode(), kick.body());
        String status = kick.headers().firstValue("Content-Location").orElseThrow();
        assertEquals(404, http("GET", status, patientToken).statusCode(), "the status is the sender's alone");
        HttpResponse<String> done = awaitImport(status, doctorToken);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals(301, locations(done.body()).size());
        assertEquals(before + 300, everythingTotal());

        // Cancelled while it runs: aborted on the ledger, nothing of it is visible.
        HttpResponse<String> big = postBundle(wholeHistory(patientId, 400, 5_000, "cancelled"), doctorToken,
                "Prefer", "respond-async");
        assertEquals(202, big.statusCode(), big.body());
        String cancelled = big.headers().firstValue("Content-Location").orElseThrow();
        assertEquals(202, http("DELETE", cancelled, doctorToken).statusCode());
        HttpResponse<String> outcome = awaitImport(cancelled, doctorToken);
        assertEquals(409, outcome.statusCode(), outcome.body());
        OperationOutcome o = FHIR.newJsonParser().parseResource(OperationOutcome.class, outcome.body());
        assertTrue(o.getIssueFirstRep().getDiagnostics().contains("cancelled"), outcome.body());
        assertEquals(before + 300, everythingTotal(), "nothing of the cancelled import is visible");
    }

    @Test
    @Order(20)
    void withdrawingConsentEndsThePractitionersAccess() {
        client(patientToken).delete().resourceById(new IdType("Consent", consentId)).execute();
        Consent withdrawn = valid(client(patientToken).read().resource(Consent.class).withId(consentId).execute());
        assertEquals(Consent.ConsentState.INACTIVE, withdrawn.getStatus());
        assertThrows(ForbiddenOperationException.class, () -> doctor().search().forResource(Observation.class)
                .where(Observation.PATIENT.hasId(patientId)).returnBundle(Bundle.class).execute());
        assertTrue(validated > 40, "resources validated: " + validated);
    }

    @Test
    @Order(23)
    void aPatientWithMoreRecordsThanOneAnswerOpensIsSearchedForwardAPageAtATime() throws Exception {
        String[] icu = enrolledPatient("Ivo", "Intensive", "1951-02-03");
        int records = 2_100; // more than the 2,000 one answer opens in memory (Records.MAX_OPENED)
        for (int sent = 0; sent < records; sent += 100) {
            Bundle vitals = new Bundle().setType(Bundle.BundleType.TRANSACTION);
            for (int i = 0; i < 100; i++) {
                Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                        .setCode(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding("http://loinc.org", "8867-4", "Heart rate")))
                        .setSubject(new Reference("Patient/" + icu[0])).setEffective(new DateTimeType("2026-11-02T08:30:00Z"))
                        .setValue(new org.hl7.fhir.r4.model.Quantity(60 + (sent + i) % 40).setUnit("/min")
                                .setSystem("http://unitsofmeasure.org").setCode("/min"));
                o.addCategory().addCoding().setSystem("http://terminology.hl7.org/CodeSystem/observation-category").setCode("vital-signs");
                vitals.addEntry().setFullUrl("urn:uuid:" + java.util.UUID.randomUUID()).setResource(o).getRequest()
                        .setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
            }
            client(icu[1]).transaction().withBundle(vitals).execute();
        }
        Bundle first = client(icu[1]).search().forResource(Observation.class).where(Observation.PATIENT.hasId(icu[0])).count(50)
                .returnBundle(Bundle.class).execute();
        assertEquals(50, first.getEntry().size());
        assertFalse(first.hasTotal(), "no total: the search reads forward a page at a time");
        assertTrue(first.getLink("next").getUrl().contains("_after="), first.getLink("next").getUrl());
        List<String> seen = new ArrayList<>();
        Bundle page = first;
        for (int p = 0; p < 3; p++) {
            page.getEntry().forEach(e -> seen.add(e.getResource().getIdElement().getIdPart()));
            page = client(icu[1]).loadPage().next(page).execute();
        }
        assertEquals(150, seen.stream().distinct().count(), "three pages, no record twice");
        Bundle byCode = client(icu[1]).search().forResource(Observation.class).where(Observation.PATIENT.hasId(icu[0]))
                .and(Observation.CODE.exactly().systemAndCode("http://loinc.org", "8867-4")).count(10).returnBundle(Bundle.class).execute();
        assertEquals(10, byCode.getEntry().size(), "a search by code reads forward too");

        UnprocessableEntityException sorted = assertThrows(UnprocessableEntityException.class, () -> client(icu[1]).search()
                .forResource(Observation.class).where(Observation.PATIENT.hasId(icu[0])).sort().descending(Observation.DATE)
                .returnBundle(Bundle.class).execute());
        assertTrue(sorted.getMessage().contains("more than 2000 records"), sorted.getMessage());
        UnprocessableEntityException everything = assertThrows(UnprocessableEntityException.class, () -> client(icu[1]).operation()
                .onInstance(new IdType("Patient", icu[0])).named("$everything").withNoParameters(Parameters.class).useHttpGet()
                .returnResourceType(Bundle.class).execute());
        assertTrue(everything.getMessage().contains("read them with a search"), everything.getMessage());

        // A bulk export reads such a patient a page at a time: every record is in it, each NDJSON line parsed by HAPI.
        JsonObject m = manifest(kickOff("Patient/$export?_type=Patient,Observation", icu[1]), icu[1]);
        assertEquals(0, m.getJsonArray("error").size(), m.toString());
        List<String> observations = new ArrayList<>();
        for (var f : m.getJsonArray("output").getValuesAs(JsonObject.class)) {
            if (f.getString("type").equals("Observation")) {
                assertEquals(records, f.getInt("count"));
                for (String line : http("GET", f.getString("url"), icu[1]).body().lines().toList()) {
                    observations.add(((Observation) FHIR.newJsonParser().parseResource(line)).getIdElement().getIdPart());
                }
            }
        }
        assertEquals(records, observations.size());
        assertEquals(records, observations.stream().distinct().count(), "no record twice");
        assertEquals(List.of(icu[0]), exported(m, "Patient", icu[1]).stream().map(r -> r.getIdElement().getIdPart()).toList());
    }

    /** A patient the registration desk registered, enrolled with their code and signed in: their id and token. */
    private static String[] enrolledPatient(String given, String family, String born) throws Exception {
        Patient p = new Patient();
        p.addName().setFamily(family).addGiven(given).setText(given + " " + family);
        p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType(born));
        p.addTelecom().setSystem(org.hl7.fhir.r4.model.ContactPoint.ContactPointSystem.EMAIL).setValue(given.toLowerCase() + "@example.org");
        MethodOutcome created = client(adminToken).create().resource(p).execute();
        String id = created.getId().getIdPart();
        String code = created.getResponseHeaders().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("X-Enrolment-Code")).findFirst().orElseThrow().getValue().get(0);
        return new String[] {id, net.signIn(1, id, net.enrol(1, id, code))};
    }

    /** A patient's consent, for a day, to every practitioner of an organisation, for the given categories. */
    private static Consent organisationConsent(String patient, String organisation, String... categories) {
        Consent c = consent("unused", categories).setPatient(new Reference("Patient/" + patient));
        c.getProvision().getActorFirstRep().setReference(new Reference("Organization/" + organisation));
        return c;
    }

    /** How many reads of a patient's record their access log holds. */
    private static int readsOf(String[] patient) {
        return client(patient[1]).search().forResource(AuditEvent.class).where(AuditEvent.PATIENT.hasId(patient[0]))
                .returnBundle(Bundle.class).execute().getTotal();
    }

    /** The resources of one type a finished export's manifest lists, each line parsed by HAPI. */
    private static List<Resource> exported(JsonObject manifest, String type, String token) throws Exception {
        List<Resource> out = new ArrayList<>();
        for (var f : manifest.getJsonArray("output").getValuesAs(JsonObject.class)) {
            if (f.getString("type").equals(type)) {
                for (String line : http("GET", f.getString("url"), token).body().lines().toList()) {
                    out.add(valid((Resource) FHIR.newJsonParser().parseResource(line)));
                }
            }
        }
        return out;
    }

    @Test
    @Order(19)
    void aPractitionerExportsTheirOrganisationsGroupOnlyWhenEveryMemberConsentedToWhatIsExported() throws Exception {
        String[] ada = enrolledPatient("Ada", "Lovelace", "1985-12-10");
        String[] alan = enrolledPatient("Alan", "Turing", "1962-06-23");
        for (String[] p : List.of(ada, alan)) {
            client(p[1]).create().resource(organisationConsent(p[0], "st-mary", "DEMOGRAPHICS", "OBSERVATION")).execute();
            doctor().create().resource(new Observation().setStatus(Observation.ObservationStatus.FINAL)
                    .setCode(new CodeableConcept(new Coding("http://loinc.org", "29463-7", "Body weight")))
                    .setSubject(new Reference("Patient/" + p[0]))
                    .setValue(new Quantity().setValue(70).setUnit("kg").setSystem("http://unitsofmeasure.org").setCode("kg"))).execute();
        }

        // The group: the patients who consented to the whole organisation, for its practitioners.
        org.hl7.fhir.r4.model.Group group = valid(doctor().read().resource(org.hl7.fhir.r4.model.Group.class).withId("st-mary").execute());
        assertEquals(org.hl7.fhir.r4.model.Group.GroupType.PERSON, group.getType());
        assertEquals("Organization/st-mary", group.getManagingEntity().getReference());
        List<String> members = group.getMember().stream().map(m -> m.getEntity().getReference()).toList();
        assertTrue(members.containsAll(List.of("Patient/" + ada[0], "Patient/" + alan[0])), members.toString());
        assertFalse(members.contains("Patient/" + patientId), "a consent to one practitioner is not a consent to the organisation");
        assertEquals(403, http("GET", "Group/st-mary", adminToken).statusCode(), "administrators read no group");
        assertEquals(403, http("GET", "Group/st-mary/$export", ada[1], "Prefer", "respond-async").statusCode(), "nor do patients");

        // Exported as Patient/$export is: NDJSON parsed by HAPI, every member's resources, each read on the ledger.
        String reason = "Weight registry: population health";
        int adaReads = readsOf(ada);
        JsonObject m = manifest(kickOff("Group/st-mary/$export?_type=Patient,Observation", doctorToken, "X-Access-Reason", reason),
                doctorToken);
        assertTrue(m.getString("request").contains("/fhir/r4/Group/st-mary/$export"), m.getString("request"));
        assertTrue(m.getJsonArray("error").isEmpty(), m.toString());
        java.util.Map<String, Integer> counts = download(m, doctorToken);
        assertEquals(members.size(), counts.get("Patient"), "one Patient per member");
        List<String> subjects = exported(m, "Observation", doctorToken).stream()
                .map(r -> ((Observation) r).getSubject().getReference()).toList();
        assertTrue(subjects.containsAll(List.of("Patient/" + ada[0], "Patient/" + alan[0])), subjects.toString());
        assertTrue(readsOf(ada) > adaReads, "the export's read is in the patient's access log");
        Bundle log = client(ada[1]).search().forResource(AuditEvent.class).where(AuditEvent.PATIENT.hasId(ada[0]))
                .returnBundle(Bundle.class).execute();
        assertTrue(log.getEntry().stream().map(e -> (AuditEvent) e.getResource()).anyMatch(a -> reason.equals(a.getOutcomeDesc())
                && a.getAgentFirstRep().getWho().getReference().equals("Practitioner/dr-fhir")), "read by the practitioner, for the reason");

        // A member whose consent does not cover what is asked: 403 naming them, and nothing of anyone is read.
        String[] mary = enrolledPatient("Mary", "Somerville", "1980-12-26");
        MethodOutcome notes = client(mary[1]).create().resource(organisationConsent(mary[0], "st-mary", "DEMOGRAPHICS", "NOTE")).execute();
        adaReads = readsOf(ada);
        HttpResponse<String> refused = http("GET", "Group/st-mary/$export?_type=Observation", doctorToken, "Prefer", "respond-async",
                "Accept", "application/fhir+json", "X-Access-Reason", reason);
        assertEquals(403, refused.statusCode(), refused.body());
        OperationOutcome why = FHIR.newJsonParser().parseResource(OperationOutcome.class, refused.body());
        assertTrue(why.getIssueFirstRep().getDiagnostics().contains(mary[0]), refused.body());
        assertTrue(refused.headers().firstValue("Content-Location").isEmpty(), "no export was started");
        assertEquals(adaReads, readsOf(ada), "nothing was read");
        // Narrowed to what every member consented to, it is exported; a member may withdraw.
        String narrowed = kickOff("Group/st-mary/$export?_type=Patient", doctorToken, "X-Access-Reason", reason);
        assertEquals(404, http("GET", narrowed, ada[1]).statusCode(), "the status is its caller's alone");
        assertEquals(members.size() + 1, download(manifest(narrowed, doctorToken), doctorToken).get("Patient"));
        client(mary[1]).delete().resourceById(new IdType("Consent", notes.getId().getIdPart())).execute();
        assertFalse(valid(doctor().read().resource(org.hl7.fhir.r4.model.Group.class).withId("st-mary").execute()).getMember()
                .stream().anyMatch(x -> x.getEntity().getReference().equals("Patient/" + mary[0])), "a withdrawn consent ends membership");
    }

    private static HttpResponse<String> postNdjson(String patient, String ndjson, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4/Patient/" + patient + "/$import"))
                .POST(HttpRequest.BodyPublishers.ofString(ndjson)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/fhir+ndjson").header("Accept", "application/fhir+json")
                .header("X-Access-Reason", REASON).timeout(java.time.Duration.ofMinutes(5));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** NDJSON lines of a visit as another system exports it: an encounter, and observations referring to it by its id. */
    private static String visitNdjson(String label, int observations) {
        Encounter e = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
                .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
                .setSubject(new Reference("Patient/" + patientId)).setPeriod(new Period().setStart(new Date()).setEnd(new Date()));
        e.setId("enc-" + label);
        StringBuilder out = new StringBuilder(FHIR.newJsonParser().encodeResourceToString(e)).append('\n');
        for (int i = 0; i < observations; i++) {
            Observation o = vital("2339-0", "Glucose [Mass/volume] in Blood", String.valueOf(90 + i), "mg/dL", "mg/dL",
                    new Reference("Patient/" + patientId), new Reference("Encounter/enc-" + label), "laboratory");
            o.setId("obs-" + label + "-" + i);
            out.append(FHIR.newJsonParser().encodeResourceToString(o)).append('\n');
        }
        return out.toString();
    }

    @Test
    @Order(19)
    void anNdjsonImportIsKeptOnceAndABadLineIsRefusedByItsNumberWithNothingKept() throws Exception {
        int before = everythingTotal();
        String visit = visitNdjson("ndjson-1", 2);
        HttpResponse<String> first = postNdjson(patientId, visit, doctorToken);
        assertEquals(200, first.statusCode(), first.body());
        List<String> created = locations(first.body());
        assertEquals(4, created.size(), "the patient, then one entry per line");
        assertEquals(before + 3, everythingTotal(), "every line is readable");
        Observation read = valid(doctor().read().resource(Observation.class).withId(new IdType(created.get(2)).getIdPart()).execute());
        assertEquals(new IdType(created.get(1)).toUnqualifiedVersionless().getValue(), read.getEncounter().getReference(),
                "a reference to another line's id resolved to the ledger's");

        HttpResponse<String> again = postNdjson(patientId, visit, doctorToken);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(created, locations(again.body()), "the same NDJSON again is answered with what it created");
        assertEquals(before + 3, everythingTotal(), "and creates nothing new");

        HttpResponse<String> kick = postNdjson(patientId, visitNdjson("ndjson-2", 3), doctorToken, "Prefer", "respond-async");
        assertEquals(202, kick.statusCode(), kick.body());
        HttpResponse<String> done = awaitImport(kick.headers().firstValue("Content-Location").orElseThrow(), doctorToken);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals(before + 7, everythingTotal(), "asynchronously, with the same answer");

        // A line that is not a resource, and a resource the validator refuses: named by line, nothing kept.
        String malformed = visitNdjson("ndjson-3", 1) + "{\"resourceType\": \"Observation\", \"status\":\n";
        HttpResponse<String> bad = postNdjson(patientId, malformed, doctorToken);
        assertEquals(400, bad.statusCode(), bad.body());
        OperationOutcome o = FHIR.newJsonParser().parseResource(OperationOutcome.class, bad.body());
        assertTrue(o.getIssueFirstRep().getDiagnostics().startsWith("line 3: "), bad.body());
        String[] lines = visitNdjson("ndjson-4", 2).split("\n");
        lines[2] = lines[2].replace("\"status\":\"final\",", "");
        HttpResponse<String> invalid = postNdjson(patientId, String.join("\n", lines), doctorToken);
        assertEquals(422, invalid.statusCode(), invalid.body());
        assertTrue(invalid.body().contains("line 3"), invalid.body());
        assertEquals(before + 7, everythingTotal(), "nothing of a refused import is kept");
        assertEquals(403, postNdjson(patientId, visit, adminToken).statusCode(), "the registration desk writes no clinical content");
    }

    @Test
    @Order(9)
    void searchesPageBackWithPreviousLinksAndFindMissingElements() {
        Bundle page = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId)).count(2)
                .returnBundle(Bundle.class).execute();
        assertTrue(page.getTotal() >= 3, "more than one page");
        assertEquals(null, page.getLink("previous"), "the first page has no previous page");
        List<List<String>> forward = new ArrayList<>();
        while (true) {
            forward.add(page.getEntry().stream().map(e -> e.getResource().getIdElement().getIdPart()).toList());
            if (page.getLink("next") == null) {
                break;
            }
            page = doctor().loadPage().next(page).execute();
        }
        List<List<String>> back = new ArrayList<>();
        back.add(forward.get(forward.size() - 1));
        while (page.getLink("previous") != null) {
            page = doctor().loadPage().previous(page).execute();
            back.add(0, page.getEntry().stream().map(e -> e.getResource().getIdElement().getIdPart()).toList());
        }
        assertEquals(forward, back, "previous links walk back through the same pages");

        int total = page.getTotal();
        int without = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.ENCOUNTER.isMissing(true)).returnBundle(Bundle.class).execute().getTotal();
        Bundle with = doctor().search().forResource(Observation.class).where(Observation.PATIENT.hasId(patientId))
                .and(Observation.ENCOUNTER.isMissing(false)).returnBundle(Bundle.class).execute();
        assertTrue(with.getTotal() > 0 && without > 0, "the visit's observations have an encounter, the first one none");
        assertEquals(total, without + with.getTotal());
        assertTrue(with.getEntry().stream().allMatch(e -> ((Observation) e.getResource()).hasEncounter()));
        assertEquals(400, assertThrows(InvalidRequestException.class, () -> doctor().search().forResource(Observation.class)
                .where(Observation.PATIENT.hasId(patientId)).and(new ca.uhn.fhir.rest.gclient.TokenClientParam("encounter:missing")
                        .exactly().code("perhaps")).returnBundle(Bundle.class).execute()).getStatusCode());
    }
}


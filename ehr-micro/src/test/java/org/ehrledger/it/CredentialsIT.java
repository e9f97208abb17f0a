package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Credentials on a real 4-replica network: whoever registers someone else receives a one-time enrolment code
 * that never signs in and works once, and the person's keys are replaced on chain when they enrol; a password
 * change needs the current password and ends the other sessions; one person holds at most 10 sessions; the
 * keys are exported only with the account password.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CredentialsIT {

    private static final int SESSION_CAP = 10;
    private static LocalNetwork net;
    private static String adminToken;
    private static String patientId;
    private static String patientPassword = "creds patient password 1";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.shared();
        adminToken = net.firstAdminToken(LocalNetwork.sharedUpOutput());
        LocalNetwork.Reply p = net.post(1, "/patients", null, Json.createObjectBuilder().add("name", "Carla Creds")
                .add("birthDate", "1981-03-04").add("contact", "carla@example.org").add("password", patientPassword).build());
        assertEquals(201, p.status(), p.raw());
        patientId = p.str("patientId");
    }


    @Test
    @Order(1)
    void anAdministratorRegisteringADoctorNeverHoldsAnythingThatSignsInAsTheDoctor() throws Exception {
        LocalNetwork.Reply registered = net.post(1, "/staff", adminToken, Json.createObjectBuilder().add("userId", "dr-creds")
                .add("name", "Dr Cora Creds").add("role", "PRACTITIONER").build());
        assertEquals(201, registered.status(), registered.raw());
        assertFalse(registered.raw().toLowerCase(java.util.Locale.ROOT).contains("password"), registered.raw());
        String code = registered.str("enrolmentCode");
        assertTrue(java.time.Instant.parse(registered.str("enrolmentExpiresAt")).isAfter(java.time.Instant.now()));

        // What the administrator holds does not sign in.
        LocalNetwork.Reply withCode = signIn("dr-creds", code);
        assertEquals(403, withCode.status(), withCode.raw());
        assertEquals("ENROLMENT_REQUIRED", withCode.str("code"));
        assertEquals(401, signIn("dr-creds", "not the code at all").status());
        assertEquals(401, enrol("dr-creds", "0000-0000-0000-0000-0000-0000", "doctor's own password").status());

        // The doctor enrols: a ROTATE_KEY signed with the first keys puts keys generated now on chain.
        LocalNetwork.Reply enrolled = enrol("dr-creds", code, "doctor's own password");
        assertEquals(201, enrolled.status(), enrolled.raw());
        byte[] keyAtRegistration = transaction(registered.obj("committed")).body().bytes("signingKey");
        SignedTransaction rotation = transaction(enrolled.obj("keyRotation"));
        assertEquals("ROTATE_KEY", rotation.type().name());
        assertEquals("dr-creds", rotation.author());
        assertFalse(java.util.Arrays.equals(keyAtRegistration, rotation.body().bytes("signingKey")),
                "the doctor's signing key after enrolment is not the one the registration carried");

        // The code is spent: it neither enrols nor signs in again, and the doctor's own password works.
        assertEquals(401, enrol("dr-creds", code, "the administrator's try").status());
        assertEquals(401, signIn("dr-creds", code).status());
        assertEquals(201, signIn("dr-creds", "doctor's own password").status());
        LocalNetwork.Reply reissue = net.post(1, "/users/dr-creds/enrolment-codes", adminToken, JsonObject.EMPTY_JSON_OBJECT);
        assertEquals(409, reissue.status(), "no new code for someone who enrolled: " + reissue.raw());
    }

    @Test
    @Order(2)
    void theRegistrationDeskHoldsNothingThatReadsTheRecordOfAPatientItRegistered() throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4/Patient"))
                .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/fhir+json").header("Accept", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"Dora Desk\"}],"
                        + "\"birthDate\":\"1962-07-08\",\"telecom\":[{\"system\":\"phone\",\"value\":\"+44 20 7946 0001\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        assertTrue(created.headers().firstValue("X-Initial-Password").isEmpty());
        String firstCode = created.headers().firstValue("X-Enrolment-Code").orElseThrow();
        String desk = Json.createReader(new java.io.StringReader(created.body())).readObject().getString("id")
                .replaceFirst("^Patient/", "");

        assertEquals("ENROLMENT_REQUIRED", signIn(desk, firstCode).str("code"));
        assertEquals(403, net.get(1, "/patients/" + desk + "/records", adminToken).status(), "the desk reads no record");

        // The patient lost the code: the desk issues a new one, and the first stops working.
        LocalNetwork.Reply second = net.post(1, "/users/" + desk + "/enrolment-codes", adminToken, JsonObject.EMPTY_JSON_OBJECT);
        assertEquals(201, second.status(), second.raw());
        assertEquals(401, enrol(desk, firstCode, "Dora's own password").status());
        LocalNetwork.Reply enrolled = enrol(desk, second.str("enrolmentCode"), "Dora's own password");
        assertEquals(201, enrolled.status(), enrolled.raw());
        assertEquals("ROTATE_KEY", transaction(enrolled.obj("keyRotation")).type().name());

        // Her demographics were re-wrapped for her new key: she reads them; neither code does anything now.
        String token = net.signIn(1, desk, "Dora's own password");
        LocalNetwork.Reply self = net.get(1, "/patients/" + desk, token);
        assertEquals(200, self.status(), self.raw());
        assertEquals("Dora Desk", self.str("name"));
        for (String code : List.of(firstCode, second.str("enrolmentCode"))) {
            assertEquals(401, signIn(desk, code).status());
            assertEquals(401, enrol(desk, code, "the desk's own try 1").status());
        }
    }

    @Test
    @Order(3)
    void aPasswordChangeNeedsTheCurrentPasswordAndEndsTheOtherSessions() throws Exception {
        String kept = net.signIn(1, patientId, patientPassword);
        String other = net.signIn(1, patientId, patientPassword);

        LocalNetwork.Reply wrong = changePassword(kept, "not my password 1", "my new password 22");
        assertEquals(403, wrong.status(), wrong.raw());
        LocalNetwork.Reply tooShort = changePassword(kept, patientPassword, "short");
        assertEquals(400, tooShort.status(), tooShort.raw());
        assertEquals(200, net.get(1, "/patients/" + patientId, other).status(), "refused changes end nothing");

        LocalNetwork.Reply changed = changePassword(kept, patientPassword, "my new password 22");
        assertEquals(204, changed.status(), changed.raw());
        assertEquals(401, net.get(1, "/patients/" + patientId, other).status(), "the other session ended");
        assertEquals(200, net.get(1, "/patients/" + patientId, kept).status(), "this session stays");
        assertEquals(401, signIn(patientId, patientPassword).status(), "the old password no longer opens the keys");
        assertEquals(201, signIn(patientId, "my new password 22").status());
        patientPassword = "my new password 22";
    }

    @Test
    @Order(4)
    void signingInBeyondTheCapEndsThePersonsLeastRecentlyUsedSession() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i <= SESSION_CAP; i++) {
            tokens.add(net.signIn(1, patientId, patientPassword));
        }
        // All but the first were opened after it; the first was the least recently used, and it ended.
        assertEquals(401, net.get(1, "/patients/" + patientId, tokens.get(0)).status());
        for (String t : tokens.subList(1, tokens.size())) {
            assertEquals(200, net.get(1, "/patients/" + patientId, t).status());
        }
    }

    @Test
    @Order(5)
    void keysAreExportedOnlyWithTheAccountPassword() throws Exception {
        String token = net.signIn(1, patientId, patientPassword);
        assertEquals(403, exportKeys(token, null).statusCode());
        assertEquals(403, exportKeys(token, "not my password 1").statusCode());
        HttpResponse<byte[]> ok = exportKeys(token, patientPassword);
        assertEquals(200, ok.statusCode());
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(new ByteArrayInputStream(ok.body()), "file password 123".toCharArray());
        assertTrue(p12.isKeyEntry("signing") && p12.isKeyEntry("encryption"));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static LocalNetwork.Reply signIn(String user, String password) throws Exception {
        return net.post(1, "/sessions", null, Json.createObjectBuilder().add("userId", user).add("password", password).build());
    }

    private static LocalNetwork.Reply enrol(String user, String code, String password) throws Exception {
        return net.post(1, "/enrolments", null, Json.createObjectBuilder().add("userId", user).add("code", code)
                .add("password", password).build());
    }

    private static LocalNetwork.Reply changePassword(String token, String current, String chosen) throws Exception {
        return net.post(1, "/account/password", token, Json.createObjectBuilder().add("currentPassword", current)
                .add("newPassword", chosen).build());
    }

    private HttpResponse<byte[]> exportKeys(String token, String password) throws Exception {
        var body = Json.createObjectBuilder().add("filePassword", "file password 123");
        if (password != null) {
            body.add("password", password);
        }
        return http.send(HttpRequest.newBuilder(URI.create(net.base(1) + "/account/keys")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.build().toString())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The transaction a write's receipt carries. */
    private static SignedTransaction transaction(JsonObject committed) {
        return SignedTransaction.decode(Base64.getDecoder().decode(
                committed.getJsonObject("receipt").getJsonObject("entry").getString("transaction")));
    }
}

package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Separation of duties on a real network: an account an administrator registered opens no break-glass
 * until a second administrator confirmed it; a lost identity is recovered by two administrators without
 * either of them reading the record; people rotate their keys and erase records through the API.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DutiesIT {

    private static final String SECRET_NOTE = "Allergic to penicillin, diagnosed 2019";
    private static LocalNetwork net;
    private static String adminToken;
    private static String secondAdminToken;
    private static String patientId;
    private static String patientPassword = "duties patient password 1";
    private static String recordId;
    private static String doctorPassword;

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.shared();
        adminToken = net.firstAdminToken(LocalNetwork.sharedUpOutput());
        secondAdminToken = net.signIn(1, "admin-b", net.staff(1, adminToken, "admin-b", "Bea Admin", "ADMIN"));
        LocalNetwork.Reply patient = net.post(1, "/patients", null, Json.createObjectBuilder().add("name", "Pat Duties")
                .add("birthDate", "1980-03-04").add("contact", "pat@example.org").add("password", patientPassword).build());
        assertEquals(201, patient.status(), patient.raw());
        patientId = patient.str("patientId");
        LocalNetwork.Reply note = net.post(1, "/patients/" + patientId + "/records", patientToken(),
                Json.createObjectBuilder().add("category", "NOTE").add("title", "My allergy").add("text", SECRET_NOTE).build());
        assertEquals(201, note.status(), note.raw());
        recordId = note.str("recordId");
    }


    @Test
    @Order(1)
    void aPractitionerAnAdministratorRegisteredBreaksNoGlassUntilASecondAdministratorConfirms() throws Exception {
        // The administrator registers a practitioner account for themselves.
        doctorPassword = net.staff(1, adminToken, "dr-own", "Own Doctor", "PRACTITIONER");
        String doctorToken = net.signIn(1, "dr-own", doctorPassword);
        JsonObject glass = Json.createObjectBuilder().add("reason", "Unconscious in the ER, allergies needed")
                .add("minutes", 30).build();
        LocalNetwork.Reply refused = net.post(1, "/patients/" + patientId + "/break-glass", doctorToken, glass);
        assertProblem(refused, 422, "REFUSED");
        assertTrue(refused.str("detail").contains("awaits confirmation by a second administrator"), refused.raw());
        assertFalse(net.get(1, "/patients/" + patientId + "/records?reason=ER", doctorToken).raw().contains(SECRET_NOTE));

        // The registrar cannot confirm their own registration; a second administrator can.
        LocalNetwork.Reply self = net.post(1, "/staff/dr-own/confirmation", adminToken, Json.createObjectBuilder().build());
        assertProblem(self, 422, "REFUSED");
        assertTrue(self.str("detail").contains("second, different administrator"), self.raw());
        assertEquals(201, net.post(1, "/staff/dr-own/confirmation", secondAdminToken, Json.createObjectBuilder().build()).status());

        assertEquals(201, net.post(1, "/patients/" + patientId + "/break-glass", doctorToken, glass).status());
        LocalNetwork.Reply chart = net.get(1, "/patients/" + patientId + "/records?reason=ER", doctorToken);
        assertEquals(200, chart.status(), chart.raw());
        assertTrue(chart.raw().contains(SECRET_NOTE));
        // The patient sees who registered the reader and who confirmed the registration.
        JsonObject read = net.get(1, "/patients/" + patientId + "/access-log", patientToken()).json().getJsonArray("items")
                .getValuesAs(JsonObject.class).stream().filter(e -> e.getString("reader").equals("dr-own")).findFirst()
                .orElseThrow();
        assertEquals("BREAK_GLASS", read.getString("basis"));
        assertEquals("admin", read.getString("readerRegisteredBy"));
        assertEquals("admin-b", read.getString("readerConfirmedBy"));
    }

    @Test
    @Order(2)
    void anAdministratorIsNeverAlsoAPractitioner() throws Exception {
        JsonObject glass = Json.createObjectBuilder().add("reason", "Unconscious in the ER, allergies needed")
                .add("minutes", 30).build();
        assertProblem(net.post(1, "/patients/" + patientId + "/break-glass", adminToken, glass), 403, "FORBIDDEN");
        assertProblem(net.post(1, "/staff", adminToken, Json.createObjectBuilder().add("userId", "admin").add("name", "Me")
                .add("role", "PRACTITIONER").build()), 409, "CONFLICT");
        // Nobody confirms their own registration either.
        assertProblem(net.post(1, "/staff/admin-b/confirmation", secondAdminToken, Json.createObjectBuilder().build()),
                422, "REFUSED");
    }

    @Test
    @Order(3)
    void twoAdministratorsRecoverALostIdentityWithoutEitherReadingTheRecord() throws Exception {
        JsonObject why = Json.createObjectBuilder().add("reason", "Lost password; identity checked at the desk").build();
        LocalNetwork.Reply request = net.post(1, "/users/" + patientId + "/recovery", adminToken, why);
        assertEquals(201, request.status(), request.raw());
        // One administrator alone cannot: approving their own request is refused.
        assertProblem(net.post(1, "/users/" + patientId + "/recovery/approval", adminToken, Json.createObjectBuilder().build()),
                422, "REFUSED");
        LocalNetwork.Reply approval = net.post(1, "/users/" + patientId + "/recovery/approval", secondAdminToken,
                Json.createObjectBuilder().build());
        assertEquals(201, approval.status(), approval.raw());
        // The old keys stop at the approval.
        assertProblem(signIn(patientId, patientPassword), 403, "FORBIDDEN");

        String newPassword = "duties new password 2";
        JsonObject wrong = Json.createObjectBuilder().add("requestCode", request.str("code"))
                .add("approvalCode", request.str("code")).add("password", newPassword).build();
        assertProblem(net.post(1, "/users/" + patientId + "/recovery/completion", null, wrong), 403, "FORBIDDEN");
        LocalNetwork.Reply done = net.post(1, "/users/" + patientId + "/recovery/completion", null, Json.createObjectBuilder()
                .add("requestCode", request.str("code")).add("approvalCode", approval.str("code"))
                .add("password", newPassword).build());
        assertEquals(201, done.status(), done.raw());
        assertTrue(done.json().getInt("recordsRewrapped") >= 1, done.raw());

        assertProblem(signIn(patientId, patientPassword), 401, "UNAUTHENTICATED");
        patientPassword = newPassword;
        LocalNetwork.Reply mine = net.get(1, "/patients/" + patientId + "/records", patientToken());
        assertEquals(200, mine.status(), mine.raw());
        assertTrue(mine.raw().contains(SECRET_NOTE), "the new key reads the old record: " + mine.raw());
        for (String admin : List.of(adminToken, secondAdminToken)) {
            LocalNetwork.Reply r = net.get(1, "/patients/" + patientId + "/records", admin);
            assertTrue(r.status() == 403 || r.status() == 422, r.raw());
            assertFalse(r.raw().contains(SECRET_NOTE));
        }
        // The patient sees the recovery on their history.
        LocalNetwork.Reply history = net.get(1, "/account/recoveries", patientToken());
        assertEquals(200, history.status(), history.raw());
        JsonObject recovery = Json.createReader(new StringReader(history.raw())).readArray().getJsonObject(0);
        assertEquals("COMPLETED", recovery.getString("status"));
        assertEquals("admin", recovery.getString("requestedBy"));
        assertEquals("admin-b", recovery.getString("approvedBy"));
    }

    @Test
    @Order(4)
    void aPersonRotatesTheirKeysAndErasesARecordThroughTheApi() throws Exception {
        String token = patientToken();
        assertProblem(net.post(1, "/account/keys/rotation", token, Json.createObjectBuilder().add("password", "not my password")
                .build()), 403, "FORBIDDEN");
        LocalNetwork.Reply rotated = net.post(1, "/account/keys/rotation", token,
                Json.createObjectBuilder().add("password", patientPassword).build());
        assertEquals(201, rotated.status(), rotated.raw());
        assertEquals(401, net.get(1, "/patients/" + patientId + "/records", token).status(), "the sessions ended");
        token = patientToken();
        assertTrue(net.get(1, "/patients/" + patientId + "/records", token).raw().contains(SECRET_NOTE),
                "the rotated key reads the record");

        JsonObject basis = Json.createObjectBuilder().add("legalBasis", "GDPR Art. 17 request 2026-42").build();
        assertProblem(net.post(1, "/records/" + recordId + "/erasure", net.signIn(1, "dr-own", doctorPassword), basis),
                403, "FORBIDDEN");
        LocalNetwork.Reply erased = net.post(1, "/records/" + recordId + "/erasure", token, basis);
        assertEquals(201, erased.status(), erased.raw());
        LocalNetwork.Reply after = net.get(1, "/patients/" + patientId + "/records", token);
        assertFalse(after.raw().contains(SECRET_NOTE), after.raw());
        assertTrue(after.raw().contains("\"erased\":true"), after.raw());
        assertProblem(net.post(1, "/records/" + recordId + "/erasure", token, basis), 422, "REFUSED");

        // An administrator of the patient's organisation erases too, with a legal basis.
        LocalNetwork.Reply second = net.post(1, "/patients/" + patientId + "/records", token,
                Json.createObjectBuilder().add("category", "NOTE").add("title", "Second").add("text", "second note").build());
        assertEquals(201, second.status(), second.raw());
        assertEquals(201, net.post(1, "/records/" + second.str("recordId") + "/erasure", secondAdminToken, basis).status());
    }

    private static String patientToken() throws Exception {
        return net.signIn(1, patientId, patientPassword);
    }

    private static LocalNetwork.Reply signIn(String user, String password) throws Exception {
        return net.post(1, "/sessions", null, Json.createObjectBuilder().add("userId", user).add("password", password).build());
    }

    private static void assertProblem(LocalNetwork.Reply r, int status, String code) {
        assertEquals(status, r.status(), r.raw());
        assertEquals(code, r.str("code"), r.raw());
    }
}

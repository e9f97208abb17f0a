package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.ehrledger.it.billing.Billing;
import org.ehrledger.it.billing.BillingFault;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hardening of the machine interfaces on a real 4-replica network, each test an attack from issue 13
 * tried as an attacker would (real HTTP, a real SOAP client): idempotency answers never replay secrets,
 * sign-ins are throttled per address and the account lock is atomic, unknown and existing ids answer alike,
 * answers are not cached, and SOAP faults are coded. Every test uses its own accounts, and the per-address
 * spray its own replica, so that they do not depend on their order.
 *
 * <p>Runs on the {@link LocalNetwork#shared() shared network}. Every sign-in it fails on purpose comes from
 * {@value #ATTACKER}, an address no other class uses: the replicas count failures per address (20 in 5 minutes, then
 * the address is refused), and the spray blocks its address at replica 4 for 5 minutes, so from 127.0.0.1, which
 * the other classes sign in from, it would refuse their sign-ins too. The accounts it locks are its own.
 */
class ApiHardeningIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** The loopback address this class's wrong guesses come from (see the class comment). */
    private static final String ATTACKER = "127.0.0.2";
    private static LocalNetwork net;
    private static String adminToken;

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.shared();
        adminToken = net.firstAdminToken(LocalNetwork.sharedUpOutput());
    }

    /** A self-registered patient at replica 1 with a password of their own; returns the patient id. */
    private static String patient(String name, String password) throws Exception {
        LocalNetwork.Reply r = net.post(1, "/patients", null, Json.createObjectBuilder().add("name", name)
                .add("birthDate", "1980-02-03").add("contact", name.replace(' ', '.') + "@example.org")
                .add("password", password).build());
        assertEquals(201, r.status(), r.raw());
        return r.str("patientId");
    }

    /** A sign-in from {@link #ATTACKER}: the guesses of the tests below. */
    private static LocalNetwork.Reply signIn(int replica, String userId, String password) throws Exception {
        return net.sendFrom(ATTACKER, replica, "POST", "/sessions", null, Json.createObjectBuilder().add("userId", userId)
                .add("password", password).build().toString());
    }

    private static String code(LocalNetwork.Reply r) {
        return r.json().getString("code", "");
    }

    /** Status, code and message of an answer, with the ids it names replaced, to compare two answers. */
    private static String shape(LocalNetwork.Reply r, String id) {
        return r.status() + " " + code(r) + " " + masked(r.json().getString("detail", r.raw()), id);
    }

    /** A message with an id, seconds to wait and block heights masked: what differs between two alike answers. */
    private static String masked(String message, String id) {
        return message.replace(id, "<id>").replaceAll("[0-9]+ s\\b", "<n> s").replaceAll("block [0-9]+", "block <n>");
    }

    @Test
    void idempotencyRecordsNeverReplaySecretsAndAnonymousCallersGetNone() throws Exception {
        String id = patient("Ida Empotent", "ida's own password 1");
        String key = UUID.randomUUID().toString();
        String credentials = Json.createObjectBuilder().add("userId", id).add("password", "ida's own password 1").build()
                .toString();
        // Signing in with a key: refused with a typed answer, twice, and no token is ever stored or replayed.
        for (int i = 0; i < 2; i++) {
            LocalNetwork.Reply r = net.send(1, "POST", "/sessions", null, credentials, Map.of("Idempotency-Key", key));
            assertEquals(400, r.status(), r.raw());
            assertEquals("INVALID_INPUT", code(r));
            assertFalse(r.json().containsKey("token"), r.raw());
            assertTrue(r.headers().firstValue("Idempotency-Replayed").isEmpty());
        }
        // An answer carrying a secret (a new staff member's first credential) is done once and never replayed.
        String staffKey = UUID.randomUUID().toString();
        String staff = Json.createObjectBuilder().add("userId", "dr-idem").add("name", "Dr Ida Idem")
                .add("role", "PRACTITIONER").build().toString();
        LocalNetwork.Reply first = net.send(1, "POST", "/staff", adminToken, staff, Map.of("Idempotency-Key", staffKey));
        assertEquals(201, first.status(), first.raw());
        LocalNetwork.Reply retry = net.send(1, "POST", "/staff", adminToken, staff, Map.of("Idempotency-Key", staffKey));
        assertEquals(409, retry.status(), retry.raw());
        assertEquals("CONFLICT", code(retry));
        assertTrue(retry.headers().firstValue("Idempotency-Replayed").isEmpty(), retry.raw());
        for (var secret : first.json().entrySet()) {
            if (secret.getValue() instanceof jakarta.json.JsonString s && s.getString().length() >= 8
                    && !secret.getKey().equals("userId")) {
                assertFalse(retry.raw().contains(s.getString()), "the retry shows the first answer's " + secret.getKey());
            }
        }
        // A write without secrets is still replayed to its author.
        String token = net.signIn(1, id, "ida's own password 1");
        String note = Json.createObjectBuilder().add("category", "NOTE").add("title", "Diary").add("text", "slept well")
                .build().toString();
        String noteKey = UUID.randomUUID().toString();
        LocalNetwork.Reply written = net.send(1, "POST", "/patients/" + id + "/records", token, note,
                Map.of("Idempotency-Key", noteKey));
        assertEquals(201, written.status(), written.raw());
        LocalNetwork.Reply again = net.send(1, "POST", "/patients/" + id + "/records", token, note,
                Map.of("Idempotency-Key", noteKey));
        assertEquals(201, again.status(), again.raw());
        assertEquals("true", again.headers().firstValue("Idempotency-Replayed").orElse(""));
        assertEquals(written.str("recordId"), again.str("recordId"));
    }

    @Test
    void signInsFromOneAddressSprayedOverManyAccountsAreThrottled() throws Exception {
        // No account has these ids: every guess is wrong, each would cost a PBKDF2. Replica 4, where no other test of
        // this class signs in: its address stays blocked there for 5 minutes.
        LocalNetwork.Reply last = null;
        int attempts = 0;
        while (attempts < 30) {
            last = signIn(4, "sprayed-" + attempts, "Winter2026!");
            attempts++;
            if (last.status() != 401) {
                break;
            }
        }
        assertEquals(429, last.status(), "after " + attempts + " guesses: " + last.raw());
        assertEquals("TOO_MANY_ATTEMPTS", code(last));
        assertTrue(attempts <= 21, attempts + " guesses evaluated from one address");
        long retryAfter = Long.parseLong(last.headers().firstValue("Retry-After").orElse("0"));
        assertTrue(retryAfter > 0, "Retry-After: " + retryAfter);
        // Another account from the same address: refused as well, at once.
        assertEquals(429, signIn(4, "another-account", "Spring2026!").status());
    }

    @Test
    void parallelWrongGuessesAreEvaluatedAtMostFiveTimesBeforeTheAccountLocks() throws Exception {
        String id = patient("Parallel Guess", "the right password 1");
        List<CompletableFuture<LocalNetwork.Reply>> guesses = new ArrayList<>();
        java.util.concurrent.ExecutorService guessers = java.util.concurrent.Executors.newFixedThreadPool(15);
        try {
            for (int i = 0; i < 15; i++) {
                String guess = "wrong guess " + i;
                guesses.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return signIn(1, id, guess);
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, guessers));
            }
        } finally {
            guessers.shutdown();
        }
        int wrong = 0;
        int refused = 0;
        for (var g : guesses) {
            LocalNetwork.Reply r = g.join();
            if (r.status() == 401) {
                wrong++;
            } else {
                assertEquals(429, r.status(), r.raw());
                refused++;
            }
        }
        // Keep guessing one at a time: still never more than five wrong passwords evaluated in all.
        for (int i = 0; i < 6; i++) {
            LocalNetwork.Reply r = signIn(1, id, "sequential guess " + i);
            if (r.status() == 401) {
                wrong++;
            } else {
                assertEquals(429, r.status(), r.raw());
            }
        }
        assertTrue(wrong <= 5, wrong + " wrong passwords evaluated (" + refused + " parallel guesses refused)");
        assertTrue(refused >= 10, refused + " parallel guesses refused");
        assertEquals(429, signIn(1, id, "the right password 1").status(), "the account is locked");
    }

    @Test
    void unknownAndExistingIdsAnswerAlike() throws Exception {
        String reader = patient("Nosy Reader", "nosy reader password");
        String readerToken = net.signIn(1, reader, "nosy reader password");
        String existing = patient("Quiet Neighbour", "quiet neighbour password");
        String unknown = "P-" + existing.substring(2, existing.length() - 4) + "9999";
        assertNotEquals(existing, unknown);

        for (String path : List.of("/patients/%s/records", "/patients/%s", "/patients/%s/consents",
                "/patients/%s/access-log")) {
            assertEquals(shape(net.get(1, path.formatted(existing), readerToken), existing),
                    shape(net.get(1, path.formatted(unknown), readerToken), unknown), path);
        }
        String note = Json.createObjectBuilder().add("category", "NOTE").add("title", "Hello").add("text", "hi")
                .build().toString();
        assertEquals(shape(net.send(1, "POST", "/patients/" + existing + "/records", readerToken, note), existing),
                shape(net.send(1, "POST", "/patients/" + unknown + "/records", readerToken, note), unknown));
        for (String[] grantee : List.of(new String[] {existing, unknown}, new String[] {"admin", "nobody-here"})) {
            assertEquals(shape(net.post(1, "/patients/" + reader + "/consents", readerToken, consentTo(grantee[0])), grantee[0]),
                    shape(net.post(1, "/patients/" + reader + "/consents", readerToken, consentTo(grantee[1])), grantee[1]),
                    "consent to " + grantee[0]);
        }

        // FHIR: a patient, a staff member who is not a practitioner, and nobody.
        net.staff(1, adminToken, "clerk-enum", "Clara Clerk", "BILLING");
        assertEquals(masked(fhir("Patient/" + existing, readerToken), existing),
                masked(fhir("Patient/" + unknown, readerToken), unknown));
        String nobody = masked(fhir("Practitioner/nobody-here", readerToken), "nobody-here");
        for (String staffId : List.of("clerk-enum", "admin", existing)) {
            assertEquals(nobody, masked(fhir("Practitioner/" + staffId, readerToken), staffId), staffId);
        }

        // SOAP: a billing clerk without the patient's billing consent learns nothing about who exists.
        String clerk = net.staff(1, adminToken, "billing-enum", "Enum Billing", "BILLING");
        Billing billing = UsernameTokenClient.port(net.web(1) + "/soap/billing?wsdl", "billing-enum", clerk);
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        BillingFault known = assertThrows(BillingFault.class, () -> billing.listBillableEvents(existing, today, today));
        BillingFault none = assertThrows(BillingFault.class, () -> billing.listBillableEvents(unknown, today, today));
        assertEquals(known.getFaultInfo().getCode() + " " + masked(known.getFaultInfo().getMessage(), existing),
                none.getFaultInfo().getCode() + " " + masked(none.getFaultInfo().getMessage(), unknown));

        // Signing in: an unknown id locks after five failures exactly like a real account.
        String ghost = "ghost-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> real = new ArrayList<>();
        List<String> fake = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            real.add(shape(signIn(1, existing, "not it " + i), existing));
            fake.add(shape(signIn(1, ghost, "not it " + i), ghost));
        }
        assertEquals(real, fake);
        assertTrue(real.get(5).startsWith("429 TOO_MANY_ATTEMPTS"), real.get(5));
    }

    private static JsonObject consentTo(String grantee) {
        return Json.createObjectBuilder().add("grantee", grantee).add("categories", Json.createArrayBuilder().add("NOTE"))
                .build();
    }

    /** Status, issue code and diagnostics of a FHIR read. */
    private static String fhir(String path, String token) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4/" + path))
                .timeout(Duration.ofSeconds(60)).header("Accept", "application/fhir+json")
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonObject outcome = Json.createReader(new StringReader(r.body())).readObject();
        JsonObject issue = outcome.getJsonArray("issue").getJsonObject(0);
        return r.statusCode() + " " + issue.getString("code", "") + " " + issue.getString("diagnostics", "");
    }

    @Test
    void answersOfTheJsonApiAndFhirAreNeverCached() throws Exception {
        String id = patient("Cache Less", "cache less password");
        String token = net.signIn(1, id, "cache less password");
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (String url : List.of(net.base(1) + "/patients/" + id + "/records", net.base(1) + "/patients/" + id,
                net.base(1) + "/patients/" + id + "/consents", net.web(1) + "/fhir/r4/Patient/" + id + "/$everything")) {
            answers.add(HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        answers.add(HTTP.send(HttpRequest.newBuilder(URI.create(net.base(1) + "/sessions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json
                        .createObjectBuilder().add("userId", id).add("password", "cache less password").build().toString()))
                .build(), HttpResponse.BodyHandlers.ofString()));
        for (HttpResponse<String> a : answers) {
            assertEquals(2, a.statusCode() / 100, a.uri() + ": " + a.body());
            assertTrue(a.headers().firstValue("Cache-Control").orElse("").contains("no-store"), a.uri().toString());
            assertEquals("no-cache", a.headers().firstValue("Pragma").orElse(""), a.uri().toString());
        }
    }

    @Test
    void soapFaultsAreCodedAndNeverCarryInternalText() throws Exception {
        String clerk = net.staff(1, adminToken, "billing-faults", "Fault Billing", "BILLING");
        Billing billing = UsernameTokenClient.port(net.web(1) + "/soap/billing?wsdl", "billing-faults", clerk);
        String patientId = patient("Soap Fault", "soap fault password");
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        for (String[] range : List.of(new String[] {"+999999999-12-31", today}, new String[] {today, "-999999999-01-01"},
                new String[] {"2026-12-31", "2026-01-01"})) {
            BillingFault f = assertThrows(BillingFault.class, () -> billing.listBillableEvents(patientId, range[0], range[1]),
                    String.join(" .. ", range));
            assertEquals("INVALID_INPUT", f.getFaultInfo().getCode(), f.getFaultInfo().getMessage());
            assertFalse(f.getFaultInfo().getMessage().toLowerCase().contains("overflow"), f.getFaultInfo().getMessage());
            assertTrue(f.getFaultInfo().getMessage().contains("from"), f.getFaultInfo().getMessage());
        }
        BillingFault noInvoice = assertThrows(BillingFault.class, () -> billing.acknowledgeBilled("no-such-record", null));
        assertEquals("INVALID_INPUT", noInvoice.getFaultInfo().getCode(), noInvoice.getFaultInfo().getMessage());
    }

    /**
     * The expected-safe properties: another patient, an administrator and a billing clerk read no clinical
     * content of a patient through the JSON API, FHIR or SOAP (the portal's own check is in PortalIT).
     */
    @Test
    void noOtherPatientAdministratorOrBillingClerkReadsAPatientsClinicalContent() throws Exception {
        String marker = "private-" + UUID.randomUUID();
        String owner = patient("Private Owner", "private owner password");
        String ownerToken = net.signIn(1, owner, "private owner password");
        LocalNetwork.Reply note = net.post(1, "/patients/" + owner + "/records", ownerToken, Json.createObjectBuilder()
                .add("category", "NOTE").add("title", "Private").add("text", marker).build());
        assertEquals(201, note.status(), note.raw());
        assertTrue(net.get(1, "/patients/" + owner + "/records", ownerToken).raw().contains(marker),
                "the owner reads the note");

        String other = patient("Curious Other", "curious other password");
        String clerk = net.staff(1, adminToken, "billing-safe", "Safe Billing", "BILLING");
        Map<String, String> readers = Map.of("another patient", net.signIn(1, other, "curious other password"),
                "an administrator", adminToken, "a billing clerk", net.signIn(1, "billing-safe", clerk));
        for (var reader : readers.entrySet()) {
            LocalNetwork.Reply records = net.get(1, "/patients/" + owner + "/records", reader.getValue());
            assertTrue(records.status() >= 400, reader.getKey() + ": " + records.raw());
            for (String path : List.of("/patients/%s/records?category=NOTE", "/patients/%s", "/patients/%s/access-log")) {
                assertFalse(net.get(1, path.formatted(owner), reader.getValue()).raw().contains(marker),
                        reader.getKey() + " " + path);
            }
            for (String path : List.of("Patient/%s/$everything", "DocumentReference?patient=%s",
                    "Observation?patient=%s", "Patient/%s")) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4/"
                        + path.formatted(owner))).timeout(Duration.ofSeconds(60)).header("Accept", "application/fhir+json")
                        .header("Authorization", "Bearer " + reader.getValue()).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertFalse(r.body().contains(marker), reader.getKey() + " FHIR " + path);
                if (path.endsWith("$everything")) {
                    assertTrue(r.statusCode() >= 400, reader.getKey() + " FHIR " + path + ": " + r.statusCode());
                }
            }
        }
        Billing billing = UsernameTokenClient.port(net.web(1) + "/soap/billing?wsdl", "billing-safe", clerk);
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        BillingFault refused = assertThrows(BillingFault.class, () -> billing.listBillableEvents(owner, today, today));
        assertFalse(refused.getFaultInfo().getMessage().contains(marker));
    }
}

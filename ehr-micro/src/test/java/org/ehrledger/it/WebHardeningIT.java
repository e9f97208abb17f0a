package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The web attack surface of a real 4-replica network, tried as an attacker would over plain HTTP: hidden
 * fields planted through the JSON API (hole 7), a cross-site GET riding on a portal session (hole 8), the
 * OpenAPI document (hole 9) and chain verification (hole 10), each anonymous or with the victim's cookie.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebHardeningIT {

    private static final String DOCTOR = "dr-web";
    private static final String PATIENT_PASSWORD = "web it patient password 1";
    private static final String OTHER_PASSWORD = "web it patient password 2";

    private static LocalNetwork net;
    private static String adminToken;
    private static String doctorPassword;
    private static String patientId;
    private static String patientToken;
    private static String otherPatientId;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.shared();
        adminToken = net.firstAdminToken(LocalNetwork.sharedUpOutput());
        doctorPassword = net.staff(1, adminToken, DOCTOR, "Wendy Web", "PRACTITIONER");
        patientId = signUp("Pat Web", PATIENT_PASSWORD);
        otherPatientId = signUp("Olive Other", OTHER_PASSWORD);
        patientToken = net.signIn(1, patientId, PATIENT_PASSWORD);
    }


    // ---- hole 7: hidden fields never reach the FHIR mapping ---------------------------------------

    @Test
    @Order(1)
    void aPatientCannotPlantAFhirResourceThroughTheJsonApiAndTheFacadeShowsTheLedgersAuthor() throws Exception {
        String planted = "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\",\"intent\":\"order\","
                + "\"medicationCodeableConcept\":{\"text\":\"Oxycodone 80 mg\"},\"subject\":{\"reference\":\"Patient/" + patientId
                + "\"},\"requester\":{\"reference\":\"Practitioner/" + DOCTOR + "\",\"display\":\"Wendy Web\"}}";
        for (String hidden : List.of(planted, "{\"resourceType\":\"MedicationRequest\",\"requester\":")) {
            LocalNetwork.Reply r = net.post(1, "/patients/" + patientId + "/records", patientToken, Json.createObjectBuilder()
                    .add("category", "NOTE").add("title", "My diary").add("text", "felt fine")
                    .add("details", Json.createObjectBuilder().add("fhir", hidden)).build());
            assertTrue(r.status() == 400 || r.status() == 422, "a reserved detail is refused: " + r.raw());
            assertEquals("INVALID_INPUT", r.str("code"), r.raw());
        }

        // Through the FHIR facade a patient may write an Observation of their own, but naming a doctor as its
        // performer does not make the doctor its author: the facade shows who signed the transaction.
        String observation = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"Home blood pressure\"},"
                + "\"subject\":{\"reference\":\"Patient/" + patientId + "\"},\"performer\":[{\"reference\":\"Practitioner/"
                + DOCTOR + "\"}],\"valueQuantity\":{\"value\":120,\"unit\":\"mmHg\"}}";
        HttpResponse<String> created = fhir("POST", "/Observation", patientToken, observation);
        assertEquals(201, created.statusCode(), created.body());

        HttpResponse<String> everything = fhir("GET", "/Patient/" + patientId + "/$everything", patientToken, null);
        assertEquals(200, everything.statusCode(), everything.body());
        JsonObject bundle = json(everything.body());
        int observations = 0;
        for (JsonValue e : bundle.getJsonArray("entry")) {
            JsonObject resource = e.asJsonObject().getJsonObject("resource");
            assertFalse(resource.getString("resourceType").equals("MedicationRequest"), "no planted prescription: " + resource);
            if (resource.getString("resourceType").equals("Observation")) {
                observations++;
                assertEquals("Patient/" + patientId, resource.getJsonArray("performer").getJsonObject(0).getString("reference"),
                        resource.toString());
            }
        }
        assertEquals(1, observations, everything.body());
        assertFalse(everything.body().contains("Practitioner/" + DOCTOR), "the doctor is named nowhere: " + everything.body());
    }

    // ---- hole 8: GETs commit nothing, the session cookie is SameSite=Strict ----------------------

    @Test
    @Order(2)
    void aCrossSiteGetWithTheVictimsSessionCommitsNothingAndTheCookieIsSameSiteStrict() throws Exception {
        Portal victim = Portal.signIn(net.web(1), otherPatientId, OTHER_PASSWORD);
        String sessionCookie = victim.setCookies.stream().filter(c -> c.startsWith("JSESSIONID=")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no session cookie set: " + victim.setCookies));
        assertTrue(sessionCookie.matches("(?i).*;\\s*SameSite=Strict.*"), sessionCookie);
        assertTrue(sessionCookie.matches("(?i).*;\\s*HttpOnly.*"), sessionCookie);

        long before = height(1);
        // A link on another site to someone else's record, followed with the victim's cookie.
        HttpResponse<String> page = victim.crossSiteGet("/patient/record.xhtml?patient=" + patientId);
        assertTrue(page.statusCode() < 500, page.statusCode() + " " + page.body());
        assertFalse(page.body().contains("Pat Web"), "nothing of the other patient");
        // The API never takes the portal's cookie: a write with it alone is unauthenticated.
        HttpResponse<String> write = victim.crossSite("POST", "/api/v1/patients/" + otherPatientId + "/records",
                "{\"category\":\"NOTE\",\"title\":\"x\",\"text\":\"y\"}");
        assertEquals(401, write.statusCode(), write.body());

        Portal doctor = Portal.signIn(net.web(1), DOCTOR, doctorPassword);
        HttpResponse<String> chart = doctor.crossSiteGet("/doctor/chart.xhtml?patient=" + patientId);
        assertEquals(200, chart.statusCode(), chart.body());
        assertTrue(chart.body().contains("openRecord"), "the chart is opened by pressing the audited button only");

        Thread.sleep(1_000);
        assertEquals(before, height(1), "no transaction was committed by a GET");
        LocalNetwork.Reply log = net.get(1, "/patients/" + patientId + "/access-log", patientToken);
        assertEquals(200, log.status(), log.raw());
        assertEquals(0, log.json().getJsonArray("items").size(), log.raw());
    }

    // ---- hole 10: verification is cached per head, shared, and full only for administrators ------

    @Test
    @Order(3)
    void concurrentAnonymousVerificationsShareOneIncrementalCheckAndOnlyAnAdministratorForcesAFullOne() throws Exception {
        LocalNetwork.Reply warm = net.get(1, "/blocks/verification");
        assertEquals(200, warm.status(), warm.raw());
        assertTrue(warm.json().getBoolean("valid"), warm.raw());
        long before = height(1);
        LocalNetwork.Reply note = net.post(1, "/patients/" + patientId + "/records", patientToken, Json.createObjectBuilder()
                .add("category", "NOTE").add("title", "Head moves").add("text", "one more block").build());
        assertEquals(201, note.status(), note.raw());
        long moved = height(1) - before;
        assertTrue(moved >= 1, "the head moved");

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LocalNetwork.Reply>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(pool.submit(() -> net.get(1, "/blocks/verification")));
            }
            long checked = 0;
            String head = null;
            for (Future<LocalNetwork.Reply> f : calls) {
                LocalNetwork.Reply r = f.get();
                assertEquals(200, r.status(), r.raw());
                assertTrue(r.json().getBoolean("valid"), r.raw());
                checked += r.json().getJsonNumber("checked").longValue();
                head = head == null ? r.str("headHash") : head;
                assertEquals(head, r.str("headHash"), "one head for all");
            }
            assertTrue(checked <= moved, "8 concurrent callers checked " + checked + " blocks in all; only " + moved
                    + " were new");
        } finally {
            pool.shutdownNow();
        }

        LocalNetwork.Reply anonymousFull = net.get(1, "/blocks/verification?full=true");
        assertEquals(401, anonymousFull.status(), anonymousFull.raw());
        LocalNetwork.Reply patientFull = net.get(1, "/blocks/verification?full=true", patientToken);
        assertEquals(403, patientFull.status(), patientFull.raw());
        LocalNetwork.Reply full = net.get(1, "/blocks/verification?full=true", adminToken);
        assertEquals(200, full.status(), full.raw());
        assertTrue(full.json().getBoolean("valid"), full.raw());
        assertEquals(full.json().getJsonNumber("blocks").longValue(), full.json().getJsonNumber("checked").longValue(), full.raw());
    }

    // ---- hole 9: the OpenAPI document is static; the replica's heap stays bounded ---------------

    @Test
    @Order(4)
    void theOpenApiDocumentIsStaticAndCostsTheReplicaNoHeap() throws Exception {
        int replica = 3; // one the other tests left alone (no FHIR context, no portal)
        long pid = Long.parseLong(Files.readString(net.home.resolve("node-" + replica).resolve("replica.pid")).strip());
        long heapBefore = liveHeapKb(pid);
        long t0 = System.nanoTime();
        HttpResponse<String> doc = HTTP.send(HttpRequest.newBuilder(URI.create(net.web(replica) + "/openapi"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, doc.statusCode(), doc.body());
        for (String expected : List.of("EHR Ledger JSON API", "/api/v1/sessions", "/api/v1/patients/{patientId}/records",
                "/api/v1/blocks/verification", "bearer")) {
            assertTrue(doc.body().contains(expected), expected + " in the document");
        }
        assertTrue(millis < 5_000, "answered in " + millis + " ms");
        // Anything under /openapi/ is ours too, never the server's scanner.
        HttpResponse<String> below = HTTP.send(HttpRequest.newBuilder(URI.create(net.web(replica) + "/openapi/ui"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, below.statusCode(), below.body());
        long heapAfter = liveHeapKb(pid);
        System.out.println("replica " + replica + " live heap before GET /openapi: " + heapBefore / 1024 + " MB, after: "
                + heapAfter / 1024 + " MB; answered in " + millis + " ms");
        assertTrue(heapAfter - heapBefore < 40 * 1024, "live heap grew by " + (heapAfter - heapBefore) / 1024 + " MB");
        assertNotNull(net.status(replica), "the replica still answers");
        long t1 = System.nanoTime();
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(net.web(replica) + "/openapi")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertTrue((System.nanoTime() - t1) / 1_000_000 < 2_000, "a second call is fast");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static String signUp(String name, String password) throws IOException, InterruptedException {
        LocalNetwork.Reply r = net.post(1, "/patients", null, Json.createObjectBuilder().add("name", name)
                .add("birthDate", "1980-02-03").add("contact", name.replace(' ', '.').toLowerCase() + "@example.org")
                .add("password", password).build());
        assertEquals(201, r.status(), r.raw());
        return r.str("patientId");
    }

    private static long height(int replica) {
        JsonObject s = net.status(replica);
        assertNotNull(s, "replica " + replica + " answers");
        return s.getJsonNumber("height").longValue();
    }

    private static HttpResponse<String> fhir(String method, String path, String token, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(net.web(1) + "/fhir/r4" + path)).timeout(Duration.ofSeconds(120))
                .header("Accept", "application/fhir+json").header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/fhir+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(String s) {
        return Json.createReader(new StringReader(s)).readObject();
    }

    /** Live heap of a replica after a full collection (young plus old generation in use), in KB. */
    private static long liveHeapKb(long pid) throws IOException, InterruptedException {
        String jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd").toString();
        run(jcmd, Long.toString(pid), "GC.run");
        String info = run(jcmd, Long.toString(pid), "GC.heap_info");
        Matcher m = Pattern.compile("(PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K").matcher(info);
        long used = 0;
        int found = 0;
        while (m.find()) {
            used += Long.parseLong(m.group(2));
            found++;
        }
        assertEquals(2, found, info);
        return used;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    /** A browser's portal session over plain HTTP: its cookies, and every Set-Cookie it was sent. */
    private static final class Portal {
        final String web;
        final Map<String, String> cookies = new LinkedHashMap<>();
        final List<String> setCookies = new ArrayList<>();

        private Portal(String web) {
            this.web = web;
        }

        /** Signs in through the login form (a JSF postback with its view state). */
        static Portal signIn(String web, String user, String password) throws IOException, InterruptedException {
            Portal p = new Portal(web);
            HttpResponse<String> form = p.send("GET", "/login.xhtml", null, Map.of());
            Matcher state = Pattern.compile("name=\"jakarta.faces.ViewState\"[^>]*value=\"([^\"]+)\"").matcher(form.body());
            assertTrue(state.find(), form.body());
            String body = "login=login&userId=" + enc(user) + "&password=" + enc(password) + "&signIn=Sign+in"
                    + "&jakarta.faces.ViewState=" + enc(state.group(1));
            HttpResponse<String> r = p.send("POST", "/login.xhtml", body,
                    Map.of("Content-Type", "application/x-www-form-urlencoded", "Origin", web));
            assertEquals(302, r.statusCode(), "signed in and redirected: " + r.body());
            return p;
        }

        HttpResponse<String> crossSiteGet(String path) throws IOException, InterruptedException {
            return crossSite("GET", path, null);
        }

        HttpResponse<String> crossSite(String method, String path, String json) throws IOException, InterruptedException {
            Map<String, String> h = new LinkedHashMap<>(Map.of("Sec-Fetch-Site", "cross-site", "Referer", "https://evil.example/"));
            if (json != null) {
                h.put("Content-Type", "application/json");
            }
            return send(method, path, json, h);
        }

        private HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
                throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(web + path)).timeout(Duration.ofSeconds(60));
            headers.forEach(b::header);
            if (!cookies.isEmpty()) {
                b.header("Cookie", String.join("; ", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            for (String c : r.headers().allValues("Set-Cookie")) {
                setCookies.add(c);
                String pair = c.split(";", 2)[0];
                int eq = pair.indexOf('=');
                cookies.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
            return r;
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
    }
}

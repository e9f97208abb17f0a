import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whole-history import benchmark against a running local network (ci/cluster.sh up), run with the JDK's source
 * launcher (no dependencies) by ci/bench-fhir-import.sh: a practitioner under the patient's consent posts one
 * transaction bundle of ENTRIES records (encounters, observations, conditions, prescriptions, lab reports with
 * their text as presentedForm attachments, referring to each other by urn:uuid, about BYTES in all) with
 * 'Prefer: respond-async', and polls the status URL until the transaction-response arrives: every entry
 * validated, encrypted, signed, ordered by PBFT in as many consensus requests as needed, and published at once.
 * Last line: entries=<N> bytes=<B> seconds=<s> entries_per_s=<r>
 */
public final class FhirImportBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String web = "http://127.0.0.1:" + env("EHR_HTTP_BASE", "8081");
    private final String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

    private record Reply(int status, String body, HttpResponse<String> response) {
    }

    public static void main(String[] args) throws Exception {
        int entries = Integer.parseInt(args.length > 0 ? args[0] : "10000");
        long bytes = Long.parseLong(args.length > 1 ? args[1] : String.valueOf(30L << 20));
        new FhirImportBench().bench(entries, bytes);
    }

    private void bench(int entries, long target) throws Exception {
        if (call("GET", web + "/api/v1/cluster", null, null, null).status() != 200) {
            fail("replica 1 does not answer at " + web + ": start the network with ci/cluster.sh up");
        }
        String password = System.getenv("EHR_ADMIN_PASSWORD");
        if (password == null || password.isBlank()) {
            fail("set EHR_ADMIN_PASSWORD to the first administrator's password (ci/cluster.sh up printed it once)");
        }
        String admin = signIn(env("EHR_ADMIN_ID", "admin"), password);
        String doctorId = "dr-import-" + run;
        Reply staff = expect(call("POST", web + "/api/v1/staff", admin, "{\"userId\":\"" + doctorId
                + "\",\"name\":\"Dr Import\",\"role\":\"PRACTITIONER\"}", null), 201, "registration of " + doctorId);
        String own = "own password " + doctorId + " " + System.nanoTime();
        expect(call("POST", web + "/api/v1/enrolments", null, "{\"userId\":\"" + doctorId + "\",\"code\":\""
                + field(staff.body(), "enrolmentCode") + "\",\"password\":\"" + own + "\"}", null), 201, "enrolment");
        String doctor = signIn(doctorId, own);
        String patientPassword = "patient password " + run;
        String patientId = field(expect(call("POST", web + "/api/v1/patients", null, "{\"name\":\"Import Patient " + run
                + "\",\"birthDate\":\"1957-03-14\",\"contact\":\"import@example.org\",\"password\":\"" + patientPassword + "\"}",
                null), 201, "sign-up").body(), "patientId");
        String patient = signIn(patientId, patientPassword);
        expect(call("POST", web + "/api/v1/patients/" + patientId + "/consents", patient, "{\"grantee\":\"" + doctorId
                + "\",\"categories\":[\"OBSERVATION\",\"CONDITION\",\"ENCOUNTER\",\"PRESCRIPTION\"]}", null), 201, "consent");

        String bundle = bundle(patientId, entries, target);
        int size = bundle.getBytes(StandardCharsets.UTF_8).length;
        System.out.println("posting a bundle of " + entries + " entries, " + size / 1024 + " KiB, as " + doctorId);
        long start = System.nanoTime();
        Reply kick = expect(call("POST", web + "/fhir/r4", doctor, bundle, "respond-async"), 202, "import kick-off");
        String status = kick.response().headers().firstValue("Content-Location").orElseThrow();
        String last = "";
        while (true) {
            Reply r = call("GET", status, doctor, null, null);
            if (r.status() == 200) {
                int created = count(r.body(), "\"201 Created\"");
                if (created != entries) {
                    fail("the transaction-response lists " + created + " created records, not " + entries);
                }
                break;
            }
            if (r.status() != 202) {
                fail("the import failed: " + r.status() + " " + abbreviate(r.body()));
            }
            String progress = r.response().headers().firstValue("X-Progress").orElse("");
            if (!progress.equals(last)) {
                System.out.println("  " + progress);
                last = progress;
            }
            Thread.sleep(1_000);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "entries=%d bytes=%d seconds=%.1f entries_per_s=%.1f%n", entries, size, seconds,
                entries / seconds);
    }

    /** The bundle: a Patient entry, then ENTRIES records cycling through five types; attachments fill it to {@code target}. */
    static String bundle(String patientId, int entries, long target) {
        int reports = Math.max(1, entries / 5);
        int attachment = (int) Math.max(64, Math.min(256 * 1024, (target - entries * 700L) / reports * 3 / 4));
        Random random = new Random(42);
        StringBuilder b = new StringBuilder(1 << 20).append("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
        String patientUrl = "urn:uuid:" + UUID.randomUUID();
        b.append("{\"fullUrl\":\"").append(patientUrl).append("\",\"resource\":{\"resourceType\":\"Patient\",\"identifier\":[{")
                .append("\"system\":\"urn:ehr-ledger:patient\",\"value\":\"").append(patientId).append("\"}]},")
                .append("\"request\":{\"method\":\"PUT\",\"url\":\"Patient/").append(patientId).append("\"}}");
        String subject = "\"subject\":{\"reference\":\"" + patientUrl + "\"}";
        String encounter = null;
        for (int i = 0; i < entries; i++) {
            String url = "urn:uuid:" + UUID.randomUUID();
            String day = java.time.LocalDate.of(2005, 1, 1).plusDays(i / 3).toString();
            String inVisit = encounter == null ? "" : ",\"encounter\":{\"reference\":\"" + encounter + "\"}";
            String type;
            String resource;
            switch (i % 5) {
                case 0 -> {
                    type = "Encounter";
                    resource = "\"status\":\"finished\",\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\","
                            + "\"code\":\"AMB\",\"display\":\"ambulatory\"},\"type\":[{\"coding\":[{\"system\":\"http://snomed.info/sct\","
                            + "\"code\":\"185349003\",\"display\":\"Encounter for check up (procedure)\"}]}]," + subject
                            + ",\"period\":{\"start\":\"" + day + "T09:00:00Z\",\"end\":\"" + day + "T09:30:00Z\"}";
                }
                case 1 -> {
                    type = "Observation";
                    resource = "\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":"
                            + "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]}],"
                            + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\",\"display\":"
                            + "\"Hemoglobin A1c/Hemoglobin.total in Blood\"}]}," + subject + inVisit + ",\"effectiveDateTime\":\"" + day
                            + "T09:10:00Z\",\"valueQuantity\":{\"value\":" + (5 + random.nextInt(40) / 10.0)
                            + ",\"unit\":\"%\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}";
                }
                case 2 -> {
                    type = "Condition";
                    resource = "\"clinicalStatus\":{\"coding\":[{\"system\":"
                            + "\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"active\"}]},"
                            + "\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\",\"display\":"
                            + "\"Diabetes mellitus type 2\"}]}," + subject + inVisit + ",\"recordedDate\":\"" + day + "\"";
                }
                case 3 -> {
                    type = "MedicationRequest";
                    resource = "\"status\":\"completed\",\"intent\":\"order\",\"medicationCodeableConcept\":{\"coding\":[{"
                            + "\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"860975\",\"display\":"
                            + "\"24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet\"}]}," + subject + inVisit
                            + ",\"authoredOn\":\"" + day + "\",\"dosageInstruction\":[{\"text\":\"one tablet twice a day with meals\"}]";
                }
                default -> {
                    type = "DiagnosticReport";
                    byte[] pdf = new byte[attachment];
                    random.nextBytes(pdf);
                    resource = "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"24323-8\","
                            + "\"display\":\"Comprehensive metabolic panel\"}]}," + subject + inVisit + ",\"effectiveDateTime\":\"" + day
                            + "T09:20:00Z\",\"presentedForm\":[{\"contentType\":\"application/pdf\",\"title\":\"Lab report " + i
                            + "\",\"data\":\"" + Base64.getEncoder().encodeToString(pdf) + "\"}]";
                }
            }
            b.append(",{\"fullUrl\":\"").append(url).append("\",\"resource\":{\"resourceType\":\"").append(type).append("\",")
                    .append(resource).append("},\"request\":{\"method\":\"POST\",\"url\":\"").append(type).append("\"}}");
            if (i % 5 == 0) {
                encounter = url;
            }
        }
        return b.append("]}").toString();
    }

    private String signIn(String id, String password) {
        return field(expect(call("POST", web + "/api/v1/sessions", null, "{\"userId\":\"" + id + "\",\"password\":\"" + password
                + "\"}", null), 201, "sign-in of " + id).body(), "token");
    }

    private Reply call(String method, String url, String token, String body, String prefer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (prefer != null) {
            b.header("Prefer", prefer);
        }
        if (body != null) {
            b.header("Content-Type", url.contains("/fhir/") ? "application/fhir+json" : "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            return new Reply(0, e.toString(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(0, "interrupted", null);
        }
    }

    private static Reply expect(Reply r, int status, String what) {
        if (r.status() != status) {
            fail(what + " answered " + r.status() + ": " + abbreviate(r.body()));
        }
        return r;
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + abbreviate(json));
        }
        return m.group(1);
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v;
    }

    private static void fail(String message) {
        System.out.println(message);
        System.exit(1);
    }
}

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;

/**
 * Whole-history import benchmark against a running local network (ci/cluster.sh up), compiled with ci/BenchHttp.java
 * by ci/bench-fhir-import.sh (no dependencies): a practitioner under the patient's consent posts one
 * transaction bundle of ENTRIES records (encounters, observations, conditions, prescriptions, lab reports with
 * their text as presentedForm attachments, referring to each other by urn:uuid, about BYTES in all) with
 * 'Prefer: respond-async', and polls the status URL until the transaction-response arrives: every entry
 * validated, encrypted, signed, ordered by PBFT in as many consensus requests as needed, and published at once.
 * Last line: entries=<N> bytes=<B> seconds=<s> entries_per_s=<r>
 */
public final class FhirImportBench {

    private final String web = "http://127.0.0.1:" + System.getenv().getOrDefault("EHR_HTTP_BASE", "8081");
    private final String api = web + "/api/v1";
    private final String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

    public static void main(String[] args) throws Exception {
        int entries = Integer.parseInt(args.length > 0 ? args[0] : "10000");
        long bytes = Long.parseLong(args.length > 1 ? args[1] : String.valueOf(30L << 20));
        new FhirImportBench().bench(entries, bytes);
    }

    private void bench(int entries, long target) throws Exception {
        String password = System.getenv("EHR_ADMIN_PASSWORD");
        if (password == null || password.isBlank()) {
            throw new IllegalStateException("set EHR_ADMIN_PASSWORD to the first administrator's password (ci/cluster.sh up "
                    + "printed it once)");
        }
        String admin = signIn(System.getenv().getOrDefault("EHR_ADMIN_ID", "admin"), password);
        String doctorId = "dr-import-" + run;
        String code = BenchHttp.field(BenchHttp.post(api + "/staff", admin, "{\"userId\":\"" + doctorId
                + "\",\"name\":\"Dr Import\",\"role\":\"PRACTITIONER\"}", 201), "enrolmentCode");
        String own = "own password " + doctorId + " " + System.nanoTime();
        BenchHttp.post(api + "/enrolments", null, "{\"userId\":\"" + doctorId + "\",\"code\":\"" + code + "\",\"password\":\""
                + own + "\"}", 201);
        String doctor = signIn(doctorId, own);
        String patientPassword = "patient password " + run;
        String patientId = BenchHttp.field(BenchHttp.post(api + "/patients", null, "{\"name\":\"Import Patient " + run
                + "\",\"birthDate\":\"1957-03-14\",\"contact\":\"import@example.org\",\"password\":\"" + patientPassword
                + "\"}", 201), "patientId");
        String patient = signIn(patientId, patientPassword);
        BenchHttp.post(api + "/patients/" + patientId + "/consents", patient, "{\"grantee\":\"" + doctorId
                + "\",\"categories\":[\"OBSERVATION\",\"CONDITION\",\"ENCOUNTER\",\"PRESCRIPTION\"]}", 201);

        String bundle = bundle(patientId, entries, target);
        int size = bundle.getBytes(StandardCharsets.UTF_8).length;
        System.out.println("posting a bundle of " + entries + " entries, " + size / 1024 + " KiB, as " + doctorId);
        long start = System.nanoTime();
        HttpResponse<String> kick = fhir("POST", web + "/fhir/r4", doctor, bundle);
        if (kick.statusCode() != 202) {
            throw new IllegalStateException("the import kick-off answered " + kick.statusCode() + ": " + abbreviate(kick.body()));
        }
        String status = kick.headers().firstValue("Content-Location").orElseThrow();
        String last = "";
        while (true) {
            HttpResponse<String> r = fhir("GET", status, doctor, null);
            if (r.statusCode() == 200) {
                int created = count(r.body(), "\"201 Created\"");
                if (created != entries) {
                    throw new IllegalStateException("the transaction-response lists " + created + " created records, not " + entries);
                }
                break;
            }
            if (r.statusCode() != 202) {
                throw new IllegalStateException("the import failed: " + r.statusCode() + " " + abbreviate(r.body()));
            }
            String progress = r.headers().firstValue("X-Progress").orElse("");
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

    private String signIn(String id, String password) throws Exception {
        return BenchHttp.field(BenchHttp.post(api + "/sessions", null, "{\"userId\":\"" + id + "\",\"password\":\"" + password
                + "\"}", 201), "token");
    }

    /** A FHIR call as {@code token}; a bundle is posted with 'Prefer: respond-async'. */
    private static HttpResponse<String> fhir(String method, String url, String token, String bundle) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + token).header("Accept", "application/fhir+json")
                .method(method, bundle == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(bundle));
        if (bundle != null) {
            b.header("Content-Type", "application/fhir+json").header("Prefer", "respond-async");
        }
        return BenchHttp.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}

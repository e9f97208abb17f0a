package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.SecurityContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/** Bulk Data export: the kick-off's parameters, the output manifest, and what an export of a patient's record holds. */
class BulkExportTest {

    private static final String PATIENT = "P-7K3MX-9QX2B";
    private static final long MARCH = Instant.parse("2026-03-01T00:00:00Z").toEpochMilli();
    private static final long JUNE = Instant.parse("2026-06-01T00:00:00Z").toEpochMilli();

    private static MultivaluedMap<String, String> query(String... kv) {
        MultivaluedMap<String, String> q = new MultivaluedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            q.add(kv[i], kv[i + 1]);
        }
        return q;
    }

    private static int status(Runnable r) {
        return assertThrows(FhirException.class, r::run).status();
    }

    @Test
    void aKickOffWithoutPreferRespondAsyncIsRefused() {
        assertEquals(400, status(() -> BulkExport.Parameters.of(null, null, query())));
        assertEquals(400, status(() -> BulkExport.Parameters.of("return=representation", Fhir.JSON, query())));
        BulkExport.Parameters p = BulkExport.Parameters.of("respond-async", Fhir.JSON, query());
        assertTrue(p.types().isEmpty());
        assertNull(p.since());
        assertEquals(EnumSet.allOf(Category.class), p.categories());
    }

    @Test
    void parametersAreCheckedAndUnknownOnesRefused() {
        BulkExport.Parameters p = BulkExport.Parameters.of("respond-async", "application/fhir+json",
                query("_type", "Observation,Condition", "_type", "Patient", "_since", "2026-04-01T00:00:00Z",
                        "_outputFormat", "application/fhir+ndjson", "patient", "P-1,P-2"));
        assertEquals(Set.of("Observation", "Condition", "Patient"), p.types());
        assertTrue(p.wants("Observation") && !p.wants("MedicationRequest"));
        assertTrue(p.categories().containsAll(EnumSet.of(Category.OBSERVATION, Category.CONDITION, Category.DEMOGRAPHICS)));
        assertFalse(p.categories().contains(Category.PRESCRIPTION), "only the categories asked for are read (and audited)");
        assertFalse(p.since(MARCH));
        assertTrue(p.since(JUNE));
        assertEquals(List.of("P-1", "P-2"), p.patients());
        assertEquals(EnumSet.of(Category.OBSERVATION, Category.CONDITION, Category.DEMOGRAPHICS), p.requiredCategories(),
                "what a group's members must have consented to: the categories of the types asked");
        assertEquals(EnumSet.of(Category.OBSERVATION), BulkExport.Parameters.of("respond-async", null, query("_type", "Observation"))
                .requiredCategories(), "the patient is read to name them, but not required when not asked");
        assertEquals(EnumSet.allOf(Category.class), BulkExport.Parameters.of("respond-async", null, query()).requiredCategories());
        for (String format : List.of("ndjson", "application/ndjson")) {
            BulkExport.Parameters.of("respond-async", null, query("_outputFormat", format));
        }
        assertEquals(400, status(() -> BulkExport.Parameters.of("respond-async", null, query("_outputFormat", "text/csv"))));
        assertEquals(400, status(() -> BulkExport.Parameters.of("respond-async", null, query("_type", "Spaceship"))));
        assertEquals(400, status(() -> BulkExport.Parameters.of("respond-async", null, query("_since", "yesterday"))));
        assertEquals(400, status(() -> BulkExport.Parameters.of("respond-async", null, query("_typeFilter", "Observation?code=1"))));
        assertEquals(400, status(() -> BulkExport.Parameters.of("respond-async", "application/xml", query())));
    }

    @Test
    void theManifestListsEachFileWithItsTypeUrlAndCount() throws Exception {
        String json = BulkExport.manifest(Instant.parse("2026-12-01T10:00:00Z"), "https://h/fhir/r4/Patient/$export?_type=\"x\"",
                List.of(new BulkExport.Output("Observation", "https://h/o.ndjson", 3)),
                List.of(new BulkExport.Output("OperationOutcome", "https://h/e.ndjson", 1)));
        JsonNode m = new ObjectMapper().readTree(json);
        assertEquals("2026-12-01T10:00:00Z", m.get("transactionTime").asText());
        assertEquals("https://h/fhir/r4/Patient/$export?_type=\"x\"", m.get("request").asText());
        assertTrue(m.get("requiresAccessToken").asBoolean());
        assertEquals("Observation", m.get("output").get(0).get("type").asText());
        assertEquals(3, m.get("output").get(0).get("count").asInt());
        assertEquals("https://h/e.ndjson", m.get("error").get(0).get("url").asText());
    }

    /** A patient's own records, as the portal wrote them; reading another patient's is refused by the contracts. */
    private static final class OwnRecord extends PatientService {
        @Override
        public List<ClinicalRecords.Opened> myRecord() {
            return List.of(opened("R-AAAAA-BBBBB-CCCCC-DEMOG", Category.DEMOGRAPHICS, MARCH, Map.of("name", "Grace Hopper",
                            "birthDate", "1956-12-09")),
                    opened("R-AAAAA-BBBBB-CCCCC-OBS01", Category.OBSERVATION, MARCH, Map.of("title", "Body weight", "value", "68")),
                    opened("R-AAAAA-BBBBB-CCCCC-OBS02", Category.OBSERVATION, JUNE, Map.of("title", "Body weight", "value", "67")),
                    opened("R-AAAAA-BBBBB-CCCCC-ALL01", Category.ALLERGY, JUNE, Map.of("title", "Latex")));
        }

        @Override
        public List<ClinicalRecords.Opened> record(String patientId) {
            throw new EhrException(ErrorCode.REFUSED, "no consent from " + patientId);
        }

        /** A page of the caller's own record (here the whole of it, in the page's categories); another's is refused. */
        @Override
        public ClinicalRecords.OpenedPage record(String patientId, ClinicalRecords.PageQuery page) {
            if (!patientId.equals(PATIENT)) {
                throw new EhrException(ErrorCode.REFUSED, "no consent from " + patientId);
            }
            return new ClinicalRecords.OpenedPage(myRecord().stream()
                    .filter(o -> page.categories().contains(o.record().category())).toList(), null);
        }
    }

    private static ClinicalRecords.Opened opened(String id, Category category, long at, Map<String, String> fields) {
        byte[] content = fields.toString().getBytes(StandardCharsets.UTF_8);
        return new ClinicalRecords.Opened(new ClinicalRecord(id, PATIENT, category, PATIENT, Digest.sha256(content),
                content.length, at, false), fields);
    }

    private static FhirRequest patient() {
        return caller(PATIENT, "PATIENT");
    }

    private static FhirRequest caller(String id, String role) {
        return caller(id, role, new OwnRecord());
    }

    private static FhirRequest caller(String id, String role, PatientService records) {
        SecurityContext security = new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return () -> id;
            }

            @Override
            public boolean isUserInRole(String r) {
                return r.equals(role);
            }

            @Override
            public boolean isSecure() {
                return true;
            }

            @Override
            public String getAuthenticationScheme() {
                return "Bearer";
            }
        };
        return new FhirRequest(security, null, new FhirRequest.StatedReason("Annual review"), records, null, null, null);
    }

    @TempDir
    Path disk;

    private final ExportFiles.Budget budget = new ExportFiles.Budget(ExportJobs.MAX_HELD_BYTES);

    private ExportJobs.Job run(List<String> patients, String... query) {
        return run(patient(), ExportJobs.MAX_BYTES, patients, query);
    }

    private ExportJobs.Job run(FhirRequest caller, long maxBytes, List<String> patients, String... query) {
        BulkExport.Parameters p = BulkExport.Parameters.of("respond-async", null, query(query));
        ExportJobs.Job job = new ExportJobs.Job("job1", PATIENT, "https://h/fhir/r4/Patient/$export", p, patients,
                p.categories(), new ExportFiles(disk.resolve("job1"), budget), maxBytes);
        job.run(caller);
        job.finish(0);
        return job;
    }

    private static List<Resource> lines(ExportJobs.Job job, String type) throws IOException {
        List<Resource> out = new ArrayList<>();
        if (job.has(type)) {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            job.write(type, file);
            for (String line : file.toString(StandardCharsets.UTF_8).split("\n")) {
                out.add((Resource) Fhir.context().newJsonParser().parseResource(line));
            }
        }
        return out;
    }

    @Test
    void anExportHoldsEachTypeInItsOwnFileAsAReadReturnsIt() throws Exception {
        ExportJobs.Job job = run(List.of(PATIENT));
        List<Resource> observations = lines(job, "Observation");
        assertEquals(2, observations.size());
        assertTrue(observations.stream().allMatch(r -> r.fhirType().equals("Observation")));
        Resource read = Resources.resource(new OwnRecord().myRecord().get(1));
        assertEquals(Fhir.json(read), Fhir.json(observations.get(0)), "an exported resource is what a FHIR read returns");
        assertEquals(1, lines(job, "Patient").size());
        assertEquals(1, lines(job, "AllergyIntolerance").size());
        assertEquals("4 resources from 1 of 1 patients", job.progress());
        JsonNode m = new ObjectMapper().readTree(job.manifest("https://h/fhir/r4"));
        assertEquals(3, m.get("output").size());
        for (JsonNode o : m.get("output")) {
            assertEquals(lines(job, o.get("type").asText()).size(), o.get("count").asInt());
            assertEquals("https://h/fhir/r4/$export-jobs/job1/" + o.get("type").asText() + ".ndjson", o.get("url").asText());
        }
        assertEquals(0, m.get("error").size());
    }

    @Test
    void typeAndSinceNarrowTheExport() throws Exception {
        ExportJobs.Job job = run(List.of(PATIENT), "_type", "Observation", "_since", "2026-05-01T00:00:00Z");
        List<Resource> observations = lines(job, "Observation");
        assertEquals(1, observations.size());
        assertEquals("Observation/R-AAAAA-BBBBB-CCCCC-OBS02", observations.get(0).getIdElement().toUnqualifiedVersionless().getValue());
        assertFalse(job.has("Patient"));
        assertFalse(job.has("AllergyIntolerance"));
    }

    @Test
    void aPatientTheCallerMayNotReadIsReportedAsAnErrorAndTheRestExported() throws Exception {
        ExportJobs.Job job = run(List.of("P-OTHER-00000", PATIENT));
        assertEquals(2, lines(job, "Observation").size());
        List<Resource> errors = lines(job, "OperationOutcome");
        assertEquals(1, errors.size());
        String diagnostics = ((OperationOutcome) errors.get(0)).getIssueFirstRep().getDiagnostics();
        assertTrue(diagnostics.contains("P-OTHER-00000"), diagnostics);
        JsonNode m = new ObjectMapper().readTree(job.manifest("https://h/fhir/r4"));
        assertEquals("OperationOutcome", m.get("error").get(0).get("type").asText());
        assertEquals(1, m.get("error").get(0).get("count").asInt());
    }

    /** Exports that never finish, to see what the bounds refuse while they run. */
    private static final class StalledJobs extends ExportJobs {
        StalledJobs(Path root) {
            this.root = root;
        }

        @Override
        Future<?> submit(Runnable export) {
            return new CompletableFuture<>();
        }
    }

    @Test
    void exportsAreBoundedPerCallerAndInAllAndKeptForTheirCallerAlone() {
        ExportJobs jobs = new StalledJobs(disk);
        BulkExport.Parameters all = BulkExport.Parameters.of("respond-async", null, query());
        ExportJobs.Job first = jobs.start(patient(), "u", all, List.of(PATIENT));
        assertFalse(first.done());
        assertEquals("0 resources from 0 of 1 patients", first.progress());
        FhirException busy = assertThrows(FhirException.class, () -> jobs.start(patient(), "u", all, List.of(PATIENT)));
        assertEquals(429, busy.status());
        assertEquals("TOO_MANY_EXPORTS", busy.outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        for (int i = 1; i < ExportJobs.MAX_RUNNING; i++) {
            jobs.start(caller("dr-" + i, "PRACTITIONER"), "u", all, List.of(PATIENT));
        }
        assertEquals(429, assertThrows(FhirException.class,
                () -> jobs.start(caller("dr-last", "PRACTITIONER"), "u", all, List.of(PATIENT))).status());

        assertEquals(404, status(() -> jobs.of(first.id, "dr-1")), "another caller does not see the export");
        assertEquals(404, status(() -> jobs.cancel(first.id, "dr-1")));
        assertEquals(first, jobs.of(first.id, PATIENT));
        jobs.cancel(first.id, PATIENT);
        assertEquals(404, status(() -> jobs.of(first.id, PATIENT)), "a cancelled export is gone");
        assertFalse(jobs.start(patient(), "u", all, List.of(PATIENT)).done(), "and its place is free again");
    }

    /** A patient with many observations, served a page at a time as the service serves them, newest first. */
    private static final class LongHistory extends PatientService {
        final int records;
        /** The size each observation's stored content is said to have (0: its own). */
        final long recordBytes;
        int pages;
        int largestPage;

        LongHistory(int records) {
            this(records, 0);
        }

        LongHistory(int records, long recordBytes) {
            this.records = records;
            this.recordBytes = recordBytes;
        }

        private static String id(int i) {
            return String.format("R-AAAAA-BBBBB-%05d-OBSXX", i);
        }

        @Override
        public ClinicalRecords.OpenedPage record(String patientId, ClinicalRecords.PageQuery page) {
            int from = page.after() == null ? records - 1 : Integer.parseInt(page.after().substring(14, 19)) - 1;
            List<ClinicalRecords.Opened> out = new ArrayList<>();
            if (page.categories().contains(Category.DEMOGRAPHICS) && page.after() == null) {
                out.add(opened("R-AAAAA-BBBBB-CCCCC-DEMOG", Category.DEMOGRAPHICS, MARCH, Map.of("name", "Ivo Intensive",
                        "birthDate", "1951-02-03")));
            }
            for (int i = from; i >= 0 && out.size() < page.limit(); i--) {
                ClinicalRecords.Opened o = opened(id(i), Category.OBSERVATION, MARCH + i, Map.of("title", "Heart rate", "value",
                        "6" + i % 10));
                out.add(recordBytes == 0 ? o : new ClinicalRecords.Opened(new ClinicalRecord(o.record().id(), PATIENT,
                        Category.OBSERVATION, PATIENT, o.record().contentHash(), recordBytes, o.record().createdAt(), false),
                        o.fields()));
            }
            String last = out.get(out.size() - 1).record().id();
            pages++;
            largestPage = Math.max(largestPage, out.size());
            return new ClinicalRecords.OpenedPage(out, last.startsWith("R-AAAAA-BBBBB-00000") ? null : last);
        }
    }

    @Test
    void aPatientWithMoreRecordsThanOneAnswerOpensIsExportedWholeAPageAtATime() throws Exception {
        LongHistory history = new LongHistory(Records.MAX_OPENED + 500);
        ExportJobs.Job job = run(caller(PATIENT, "PATIENT", history), ExportJobs.MAX_BYTES, List.of(PATIENT));
        List<Resource> observations = lines(job, "Observation");
        assertEquals(history.records, observations.size(), "every record, none refused as too many to open at once");
        assertEquals(history.records, observations.stream().map(r -> r.getIdElement().getIdPart()).distinct().count());
        assertEquals(1, lines(job, "Patient").size());
        assertEquals(0, job.has(ExportJobs.ERRORS) ? lines(job, ExportJobs.ERRORS).size() : 0);
        assertTrue(history.pages >= history.records / ClinicalRecords.PageQuery.MAX_LIMIT, "read a page at a time: " + history.pages);
        assertTrue(history.largestPage <= ClinicalRecords.PageQuery.MAX_LIMIT, "at most a page open at once");
    }

    /** Every byte of an export's files on disk. */
    private byte[] onDisk() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (var files = Files.walk(disk)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                all.write(Files.readAllBytes(f));
            }
        }
        return all.toByteArray();
    }

    @Test
    void anExportsFilesAreSealedOnDiskAndAnAlteredOrCutFileFailsItsDownload() throws Exception {
        ExportJobs.Job job = run(List.of(PATIENT));
        String disk = new String(onDisk(), StandardCharsets.ISO_8859_1);
        assertFalse(disk.isEmpty());
        for (String plain : List.of("Body weight", "Grace Hopper", PATIENT, "Observation", "resourceType")) {
            assertFalse(disk.contains(plain), "the disk does not hold " + plain);
        }
        assertEquals(2, lines(job, "Observation").size(), "read back whole");

        Path file;
        try (var files = Files.walk(this.disk)) {
            file = files.filter(f -> f.getFileName().toString().startsWith("Observation")).findFirst().orElseThrow();
        }
        byte[] sealed = Files.readAllBytes(file);
        byte[] altered = sealed.clone();
        altered[altered.length - 20] ^= 1;
        Files.write(file, altered);
        IOException tampered = assertThrows(IOException.class, () -> job.write("Observation", new ByteArrayOutputStream()));
        assertTrue(tampered.getMessage().contains("altered"), tampered.getMessage());
        Files.write(file, java.util.Arrays.copyOf(sealed, sealed.length - 1));
        assertThrows(IOException.class, () -> job.write("Observation", new ByteArrayOutputStream()));
        Files.write(file, java.util.Arrays.copyOf(sealed, sealed.length + 1));
        assertThrows(IOException.class, () -> job.write("Observation", new ByteArrayOutputStream()));
    }

    @Test
    void aForgottenExportsFilesAreDeletedAndTheirBytesFreed() throws Exception {
        ExportJobs.Job job = run(List.of(PATIENT));
        assertTrue(budget.used() > 0);
        assertTrue(onDisk().length > 0);
        job.forget();
        assertEquals(0, budget.used());
        assertEquals(0, onDisk().length, "no file left");
        assertFalse(job.has("Observation"));

        Path leftover = disk.resolve("old-job").resolve("Observation.ndjson.sealed");
        Files.createDirectories(leftover.getParent());
        Files.writeString(leftover, "sealed under a key the last run took with it");
        ExportFiles.clear(disk);
        assertFalse(Files.exists(disk), "a start removes what an earlier run left");
    }

    @Test
    void anExportPastItsBoundOrTheDiskBudgetKeepsNoOutputAndSaysWhatToDo() throws Exception {
        ExportJobs.Job large = run(patient(), 300, List.of(PATIENT));
        assertFalse(large.has("Observation"));
        List<Resource> errors = lines(large, ExportJobs.ERRORS);
        assertEquals(1, errors.size());
        assertTrue(((OperationOutcome) errors.get(0)).getIssueFirstRep().getDiagnostics().contains("narrow it with _type"));
        JsonNode m = new ObjectMapper().readTree(large.manifest("https://h/fhir/r4"));
        assertEquals(0, m.get("output").size(), "no partial output is offered");
        large.forget();

        ExportFiles.Budget full = new ExportFiles.Budget(300);
        BulkExport.Parameters p = BulkExport.Parameters.of("respond-async", null, query());
        ExportJobs.Job job = new ExportJobs.Job("job2", PATIENT, "u", p, List.of(PATIENT), p.categories(),
                new ExportFiles(disk.resolve("job2"), full), ExportJobs.MAX_BYTES);
        job.run(patient());
        job.finish(0);
        errors = lines(job, ExportJobs.ERRORS);
        assertEquals(1, errors.size());
        assertTrue(((OperationOutcome) errors.get(0)).getIssueFirstRep().getDiagnostics().contains("as many exports as its disk allows"),
                ((OperationOutcome) errors.get(0)).getIssueFirstRep().getDiagnostics());
        job.forget();
        assertEquals(0, full.used(), "its bytes are back");
    }

    @Test
    void aWholeReadOpensAtMostItsBoundInBytesWhateverTheNumberOfRecordsButAnExportReadsThemAll() throws Exception {
        LongHistory large = new LongHistory(40, 1024 * 1024); // 40 records of 1 MiB: few, but 40 MiB
        FhirRequest caller = caller(PATIENT, "PATIENT", large);
        FhirException refused = assertThrows(FhirException.class,
                () -> new Records(caller).read(PATIENT, EnumSet.of(Category.OBSERVATION)));
        assertEquals(422, refused.status());
        String why = refused.outcome().getIssueFirstRep().getDiagnostics();
        assertTrue(why.contains("32 MiB") && why.contains("bulk export"), why);

        assertEquals(20, new Records(caller(PATIENT, "PATIENT", new LongHistory(20, 1024 * 1024)))
                .read(PATIENT, EnumSet.of(Category.OBSERVATION)).size(), "20 MiB is read whole");
        assertEquals(40, lines(run(caller, ExportJobs.MAX_BYTES, List.of(PATIENT)), "Observation").size(),
                "an export reads a page at a time, whatever the bytes");
    }
}

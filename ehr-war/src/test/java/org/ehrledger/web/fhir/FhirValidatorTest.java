package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.Test;

/**
 * The facade's validator, built as in production ({@link Fhir#newValidator()}): it finds exactly the errors
 * HAPI's validator on the whole R4 specification finds, in a resource of every type the facade accepts (valid
 * and invalid ones, a transaction bundle with an unsupported type, a contained resource, a declared profile,
 * an extension), and it keeps little heap: measured in a fresh JVM with a replica's default heap.
 */
class FhirValidatorTest {

    /**
     * Live heap the facade's first use may keep: HAPI's R4 model of the sample types, and the validator after
     * validating them (measured: 88 MB, of which the validator 63 MB; with every definition parsed: 207 MB).
     */
    static final int MAX_RETAINED_MB = 110;
    /** Live heap the IPS package may add once a resource declares one of its profiles (measured: 25 MB). */
    static final int MAX_IPS_MB = 40;

    /** A sample resource and whether the base R4 specification accepts it. */
    record Sample(boolean valid, IBaseResource resource) {
    }

    static List<Sample> samples() throws IOException {
        List<Sample> samples = new ArrayList<>();
        try (InputStream in = FhirValidatorTest.class.getResourceAsStream("validation-samples.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int space = line.indexOf(' ');
                samples.add(new Sample(line.substring(0, space).equals("valid"), ValidatorFootprint.parse(line.substring(space + 1))));
            }
        }
        return samples;
    }

    @Test
    void theSpecificationIsReadFromItsJarExactlyAsTheClassLoaderWouldServeIt() throws java.io.IOException {
        for (String file : Definitions.FILES) {
            try (java.io.InputStream direct = Definitions.open(file); java.io.InputStream loaded = Definitions.class.getResourceAsStream(file)) {
                assertNotNull(direct, file);
                assertArrayEquals(loaded.readAllBytes(), direct.readAllBytes(), file);
            }
        }
        assertNull(Definitions.open("/org/hl7/fhir/r4/model/profile/no-such-file.xml"));
    }

    @Test
    void everyTypeTheFacadeAcceptsHasASample() throws IOException {
        Set<String> types = new java.util.HashSet<>();
        samples().forEach(s -> types.add(s.resource().fhirType()));
        assertTrue(types.containsAll(Fhir.TYPES), () -> "samples lack " + Fhir.TYPES.stream().filter(t -> !types.contains(t)).toList());
    }

    @Test
    void findsTheSameErrorsAsTheValidatorOnTheWholeSpecification() throws IOException {
        FhirValidator whole = ValidatorFootprint.whole();
        for (Sample s : samples()) {
            List<String> expected = errors(whole, s.resource());
            List<String> found = Fhir.errors(s.resource()).stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
            String json = Fhir.json((org.hl7.fhir.r4.model.Resource) s.resource());
            assertEquals(expected, found, json);
            assertEquals(!s.valid(), !found.isEmpty(), () -> (s.valid() ? "valid, but: " + found : "invalid, but no error: ") + json);
        }
    }

    @Test
    void resourcesValidatedTogetherFindEachWhatItFindsAlone() throws IOException {
        // A large bundle's entries are validated a chunk at a time (Fhir.validateEach): each must be found exactly as
        // valid or invalid, with the same errors and warnings at the same places, as when sent alone.
        List<org.hl7.fhir.r4.model.Resource> resources = new ArrayList<>();
        samples().forEach(s -> resources.add((org.hl7.fhir.r4.model.Resource) s.resource()));
        resources.add(ipsCondition(false));
        resources.add(null); // an entry without a resource: nothing found
        resources.add(ipsCondition(true));
        resources.add((org.hl7.fhir.r4.model.Resource) ValidatorFootprint.parse("{\"resourceType\":\"Observation\",\"meta\":"
                + "{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab\"]},\"status\":\"final\","
                + "\"code\":{\"text\":\"HbA1c\"},\"subject\":{\"reference\":\"Patient/P-1\"}}"));
        // Entries that would break a rule if one's reference resolved to the other within the chunk: an observation
        // about a Claim/c1 (its subject may not be a claim), beside the claim c1; alone, neither reference is followed.
        var claim = new org.hl7.fhir.r4.model.Claim();
        claim.setId("c1");
        var aboutClaim = new org.hl7.fhir.r4.model.Observation().setStatus(org.hl7.fhir.r4.model.Observation.ObservationStatus.FINAL)
                .setCode(new org.hl7.fhir.r4.model.CodeableConcept().setText("x"))
                .setSubject(new org.hl7.fhir.r4.model.Reference("Claim/c1"));
        resources.add(aboutClaim);
        resources.add(claim);
        assertEquals(List.of(), Fhir.validate(aboutClaim).errors(), "alone, the observation is valid");

        List<Fhir.Findings> together = new ArrayList<>();
        Fhir.validateEach(resources, (i, f) -> {
            assertEquals(together.size(), i, "told in order");
            together.add(f);
            return true;
        });
        assertEquals(resources.size(), together.size());
        int invalid = 0;
        for (int i = 0; i < resources.size(); i++) {
            var r = resources.get(i);
            if (r == null) {
                assertEquals(new Fhir.Findings(List.of(), List.of()), together.get(i));
                continue;
            }
            Fhir.Findings alone = Fhir.validate(r);
            String json = Fhir.json(r);
            assertEquals(describe(alone.errors()), describe(together.get(i).errors()), json);
            assertEquals(describe(alone.warnings()), describe(together.get(i).warnings()), json);
            invalid += alone.errors().isEmpty() ? 0 : 1;
        }
        assertTrue(invalid >= 20, "the samples hold invalid resources: " + invalid);
    }

    private static List<String> describe(List<ca.uhn.fhir.validation.SingleValidationMessage> messages) {
        return messages.stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
    }

    @Test
    void aTopLevelResourceOfATypeNotParsedUpFrontIsValidatedLikeAnyOther() {
        // Definitions outside Fhir.TYPES load when one comes: a valid one passes, an invalid one is refused.
        var plan = new org.hl7.fhir.r4.model.CarePlan().setStatus(org.hl7.fhir.r4.model.CarePlan.CarePlanStatus.ACTIVE)
                .setIntent(org.hl7.fhir.r4.model.CarePlan.CarePlanIntent.PLAN)
                .setSubject(new org.hl7.fhir.r4.model.Reference("Patient/p1"));
        assertEquals(List.of(), Fhir.errors(plan).stream().map(m -> m.getLocationString() + " " + m.getMessage()).toList());
        var group = new org.hl7.fhir.r4.model.Group().setType(org.hl7.fhir.r4.model.Group.GroupType.PERSON).setActual(true);
        assertEquals(List.of(), Fhir.errors(group).stream().map(m -> m.getLocationString() + " " + m.getMessage()).toList());
        var claim = new org.hl7.fhir.r4.model.Claim(); // status, type, use, patient, created, provider, priority, insurance missing
        assertTrue(Fhir.errors(claim).size() >= 5, () -> "a Claim without its required elements: " + Fhir.errors(claim));
    }

    @Test
    void aDeclaredProfileTheValidatorDoesNotHaveIsAWarningAndTheBaseSpecificationStillApplies() {
        String usCore = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
        var lab = (org.hl7.fhir.r4.model.Observation) ValidatorFootprint.parse("{\"resourceType\":\"Observation\",\"meta\":"
                + "{\"profile\":[\"" + usCore + "\"]},\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]}],\"code\":"
                + "{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\",\"display\":\"Hemoglobin A1c\"}]},"
                + "\"subject\":{\"reference\":\"Patient/P-1\"},\"effectiveDateTime\":\"2024-03-01T10:00:00Z\","
                + "\"valueQuantity\":{\"value\":6.3,\"unit\":\"%\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}}");
        Fhir.Findings findings = Fhir.validate(lab);
        assertEquals(List.of(), findings.errors().stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList());
        assertEquals(1, findings.warnings().size(), () -> findings.warnings().toString());
        assertTrue(findings.warnings().get(0).getMessage().contains(usCore), findings.warnings().get(0).getMessage());

        lab.setStatus(null); // the base specification requires a status, whatever the profile
        assertEquals(1, Fhir.validate(lab).errors().size());
    }

    static final String IPS_CONDITION = "http://hl7.org/fhir/uv/ips/StructureDefinition/Condition-uv-ips";

    /** A problem as the International Patient Summary profiles it (or, {@code withoutCode}, without its code). */
    static org.hl7.fhir.r4.model.Condition ipsCondition(boolean withoutCode) {
        var c = (org.hl7.fhir.r4.model.Condition) ValidatorFootprint.parse("{\"resourceType\":\"Condition\",\"meta\":"
                + "{\"profile\":[\"" + IPS_CONDITION + "\"]},\"clinicalStatus\":{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"active\"}]},\"category\":[{\"coding\":"
                + "[{\"system\":\"http://loinc.org\",\"code\":\"75326-9\",\"display\":\"Problem\"}]}],\"code\":{\"coding\":"
                + "[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\",\"display\":\"Diabetes mellitus type 2\"}]},"
                + "\"subject\":{\"reference\":\"Patient/P-1\"},\"onsetDateTime\":\"2019-04-02\"}");
        return withoutCode ? c.setCode(null) : c;
    }

    @Test
    void aDeclaredIpsProfileIsCheckedAgainstTheShippedPackageWithoutAWarning() {
        Fhir.Findings conforming = Fhir.validate(ipsCondition(false));
        assertEquals(List.of(), conforming.errors().stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList());
        assertEquals(List.of(), conforming.warnings().stream().map(m -> m.getMessage()).toList(), "the profile was checked");

        // IPS requires a problem's code; the base specification does not.
        var noCode = ipsCondition(true);
        List<String> errors = Fhir.validate(noCode).errors().stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
        assertTrue(errors.stream().anyMatch(e -> e.contains("Condition.code: minimum required = 1") && e.contains(IPS_CONDITION)),
                errors::toString);
        noCode.getMeta().getProfile().clear();
        assertEquals(List.of(), Fhir.validate(noCode).errors().stream().map(m -> m.getMessage()).toList());
    }

    @Test
    void aGuidesPackageIsParsedOnlyWhenOneOfItsProfilesIsAskedFor() {
        // What the operator sees: the replica's log says when a package is parsed, once.
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(ProfilePackages.class.getName());
        long thread = Thread.currentThread().getId();
        List<String> parsed = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler watch = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLongThreadID() == thread && r.getMessage().contains(" loaded in ")) {
                    parsed.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level level = log.getLevel();
        log.setLevel(java.util.logging.Level.INFO);
        log.addHandler(watch);
        try {
            ProfilePackages packages = new ProfilePackages(Fhir.context(), ProfilePackages.SHIPPED);
            assertEquals(null, packages.fetchStructureDefinition("http://hl7.org/fhir/StructureDefinition/Observation"));
            assertEquals(null, packages.fetchStructureDefinition("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"));
            assertEquals(null, packages.fetchValueSet("http://hl7.org/fhir/ValueSet/observation-status"));
            assertEquals(List.of(), parsed, "nothing of IPS was asked for");
            var sd = (org.hl7.fhir.r4.model.StructureDefinition) packages.fetchStructureDefinition(IPS_CONDITION);
            assertEquals(1, parsed.size(), parsed::toString);
            assertTrue(parsed.get(0).startsWith("FHIR profile package hl7.fhir.uv.ips 2.0.0 loaded in "), parsed::toString);
            assertEquals("2.0.0", sd.getVersion());
            assertTrue(sd.hasSnapshot(), "published with its snapshot");
            assertTrue(packages.fetchValueSet("http://hl7.org/fhir/uv/ips/ValueSet/problems-uv-ips") != null);
            assertEquals(1, parsed.size(), "parsed once, then kept");
        } finally {
            log.removeHandler(watch);
            log.setLevel(level);
        }
    }

    @Test
    void theIpsPackageOnceDeclaredAddsLittleHeapInAFreshReplicaSizedJvm() throws Exception {
        String out = footprint("ips");
        Matcher m = Pattern.compile("ips_mb=(\\d+) ips_refused=(\\w+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("true", m.group(2), "the IPS profile refused the problem without a code: " + out);
        System.out.println("IPS package footprint: " + m.group());
        assertTrue(Integer.parseInt(m.group(1)) <= MAX_IPS_MB, "the IPS package keeps " + m.group(1) + " MB (at most " + MAX_IPS_MB
                + " MB): " + out);
    }

    @Test
    void theIndexHoldsEveryDefinitionOfTheSpecificationAsHapiLoadsIt() {
        var ctx = Fhir.context();
        Definitions lazy = new Definitions(ctx, Fhir.TYPES);
        var whole = new ca.uhn.fhir.context.support.DefaultProfileValidationSupport(ctx);
        int definitions = 0;
        List<IBaseResource> all = new ArrayList<>(whole.fetchAllConformanceResources());
        all.addAll(whole.fetchAllStructureDefinitions());
        for (IBaseResource r : all) {
            String url = ((org.hl7.fhir.r4.model.MetadataResource) r).getUrl();
            IBaseResource mine = switch (r.fhirType()) {
                case "StructureDefinition" -> lazy.fetchStructureDefinition(url);
                case "ValueSet" -> lazy.fetchValueSet(url);
                case "CodeSystem" -> lazy.fetchCodeSystem(url);
                default -> r;
            };
            assertTrue(mine != null, r.fhirType() + " " + url);
            if (r instanceof org.hl7.fhir.r4.model.StructureDefinition sd) {
                var m = (org.hl7.fhir.r4.model.StructureDefinition) mine;
                assertEquals(sd.getSnapshot().getElement().size(), m.getSnapshot().getElement().size(), url);
                assertEquals(sd.getDifferential().getElement().size(), m.getDifferential().getElement().size(), url);
                definitions++;
            } else if (r instanceof org.hl7.fhir.r4.model.CodeSystem cs) {
                assertEquals(cs.getConcept().size(), ((org.hl7.fhir.r4.model.CodeSystem) mine).getConcept().size(), url);
            }
        }
        assertTrue(definitions > 600, "the R4 StructureDefinitions: " + definitions);
    }

    private static List<String> errors(FhirValidator v, IBaseResource r) {
        return v.validateWithResult(r).getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
    }

    @Test
    void theValidatorKeepsLittleHeapInAFreshReplicaSizedJvm() throws Exception {
        String out = footprint();
        Matcher m = Pattern.compile("retained_mb=(\\d+) errors=(\\d+)/(\\d+) wrong=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals(m.group(3), m.group(2), "every invalid sample is refused: " + out);
        assertEquals("0", m.group(4), "no valid sample is refused: " + out);
        int retained = Integer.parseInt(m.group(1));
        System.out.println("FHIR validator footprint: " + m.group());
        assertTrue(retained <= MAX_RETAINED_MB, "the FHIR facade's first use keeps " + retained + " MB of live heap (at most "
                + MAX_RETAINED_MB + " MB): " + out);
    }

    /** Runs {@link ValidatorFootprint} in a new JVM like a replica's (512 MB heap, parallel GC, C1 only). */
    static String footprint(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ValidatorFootprint.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the footprint JVM finished");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }
}

package org.ehrledger.web.fhir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

/**
 * A measurement, not a test: how long the facade's validation of a whole history takes, through its own entry point
 * ({@link Transactions#validate}, as an import runs it), on the Synthea fixture of {@code FhirIT}. Run it in a JVM
 * like a replica's ({@code -Xmx512m -XX:+UseParallelGC -XX:TieredStopAtLevel=1}) with the test class path:
 * <pre>
 * java -Xmx512m -XX:+UseParallelGC -XX:TieredStopAtLevel=1 -cp &lt;ehr-war test class path&gt; \
 *     org.ehrledger.web.fhir.ValidationThroughput [fixture.json.gz] [rounds] [types]
 * </pre>
 * Prints, for each round, {@code round=<n> entries=<N> ms=<total> ms_per_entry=<x> warnings=<w>} (the first round
 * includes loading the definitions of the types not parsed up front); with {@code types}, then the same entries
 * validated one by one ({@link Fhir#validate}, one run of HAPI's validator each, where {@link Transactions#validate}
 * runs it once per chunk of entries: {@code serial ...}) and the time per entry of each resource type, on one thread.
 */
public final class ValidationThroughput {

    static final String FIXTURE = "../ehr-micro/src/test/resources/synthea/synthea-3.3.0-seed-42.json.gz";

    private ValidationThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Path fixture = Path.of(args.length > 0 ? args[0] : FIXTURE);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long started = System.nanoTime();
        Fhir.validate(new org.hl7.fhir.r4.model.Patient().setActive(true));
        System.out.printf("validator_ready_ms=%d%n", (System.nanoTime() - started) / 1_000_000);
        for (int round = 1; round <= rounds; round++) {
            Bundle bundle = history(fixture); // fresh objects each round: nothing kept on them from the last one
            int n = bundle.getEntry().size();
            long t = System.nanoTime();
            Fhir.Findings f = Transactions.validate(bundle, new ImportJobs.Progress(n));
            double ms = (System.nanoTime() - t) / 1e6;
            System.out.printf(java.util.Locale.ROOT, "round=%d entries=%d ms=%.0f ms_per_entry=%.2f warnings=%d%n", round, n, ms,
                    ms / n, f.warnings().size());
        }
        if (args.length > 2 && args[2].equals("types")) {
            Map<String, long[]> byType = new TreeMap<>();
            Bundle bundle = history(fixture);
            long serial = System.nanoTime();
            for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
                Resource r = e.getResource();
                long t = System.nanoTime();
                Fhir.validate(r);
                long[] a = byType.computeIfAbsent(r.fhirType(), k -> new long[2]);
                a[0]++;
                a[1] += System.nanoTime() - t;
            }
            double ms = (System.nanoTime() - serial) / 1e6;
            System.out.printf(java.util.Locale.ROOT, "serial entries=%d ms=%.0f ms_per_entry=%.2f%n", bundle.getEntry().size(), ms,
                    ms / bundle.getEntry().size());
            byType.forEach((type, a) -> System.out.printf(java.util.Locale.ROOT, "type=%s entries=%d ms_per_entry=%.2f%n", type, a[0],
                    a[1] / 1e6 / a[0]));
        }
    }

    /** The fixture's bundle, its conditional references resolved as an import does before validating. */
    static Bundle history(Path fixture) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(fixture))) {
            Bundle b = (Bundle) Fhir.parser(false).parseResource(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            Transaction.resolveConditionalReferences(b);
            return b;
        }
    }
}

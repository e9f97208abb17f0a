import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Long-running load against a running local network (ci/cluster.sh up), run with the JDK's source launcher
 * (no dependencies) by ci/bench-scale.sh and ci/soak.sh:
 * <ul>
 * <li>{@code scale RECORDS}: fills the network with RECORDS records of many patients (FHIR transaction bundles of
 * up to 100 observations each, every record signed, encrypted and ordered), with consents to practitioners and
 * their audited chart reads, then measures per replica the live heap after a full GC (once the FHIR facade, the
 * portal, SOAP and the JSON API have been used on it), its database size, the p99 of opening a chart and an
 * access log, and the time from a restart to serving.</li>
 * <li>{@code soak MINUTES}: mixed load for MINUTES: writes at a steady rate, chart reads, FHIR reads and
 * searches, portal pages, {@code GET /openapi}, and replica 3 killed and restarted (a peer serves it the blocks
 * it missed); samples every replica's live heap and checks the replicas' logs for OutOfMemoryError.</li>
 * <li>{@code reads SAMPLES}: the p50, p90 and p99 of opening a chart and an access log at replica 1, on whatever
 * the network holds (ci/bench-reads.sh).</li>
 * </ul>
 * Staff are registered by the network's first administrator: EHR_ADMIN_PASSWORD (printed once by ci/cluster.sh
 * up). Everyone signs in at replica 1 (the genesis organisation's replica).
 */
public final class Load {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int REPLICAS = 4;
    private static final int BUNDLE = 100;
    /** Why a practitioner opens a chart: required, and logged on chain with the access. */
    private static final String CHART_REASON = "scheduled+follow-up";
    private static final String NOTE = "Routine follow-up reading, taken at home with a validated device; "
            + "patient reports no dizziness, no chest pain, adherence to medication confirmed. ".repeat(6);

    private final int httpBase = Integer.parseInt(env("EHR_HTTP_BASE", "8081"));
    private final Path home = Path.of(env("EHR_CLUSTER_HOME", ".cluster")).toAbsolutePath();
    private final String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private final List<Person> doctors = new ArrayList<>();
    private final List<Person> patients = new ArrayList<>();

    /**
     * Someone signed in at replica 1: their id, password and session token, signed in again when the token is 15 to 20
     * minutes old (a session ends after 30 idle minutes, and a large fill takes hours); spread over five minutes, so
     * that everyone does not sign in again in the same second, which the replica's sign-in limit would refuse.
     */
    private final class Person {
        private final String id;
        private final String password;
        private final String doctor;
        private String token;
        private long signedInAt;

        Person(String id, String password, String doctor) {
            this.id = id;
            this.password = password;
            this.doctor = doctor;
            token();
        }

        String id() {
            return id;
        }

        String doctor() {
            return doctor;
        }

        synchronized String token() {
            long refreshAfter = 15 * 60_000_000_000L + Math.floorMod(id.hashCode(), 300) * 1_000_000_000L;
            if (token == null || System.nanoTime() - signedInAt > refreshAfter) {
                try {
                    token = signIn(id, password);
                } catch (Exception e) {
                    throw new IllegalStateException("sign-in of " + id + " failed: " + e.getMessage(), e);
                }
                signedInAt = System.nanoTime();
            }
            return token;
        }
    }

    /** An answer: status and body. */
    private record Reply(int status, String body) {
        String field(String name) {
            return Load.field(body, name);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !Set.of("scale", "soak", "reads").contains(args[0])) {
            System.err.println("usage: java ci/Load.java scale RECORDS | soak MINUTES | reads SAMPLES");
            System.exit(2);
        }
        Load load = new Load();
        for (int n = 1; n <= REPLICAS; n++) {
            if (load.call("GET", load.api(n) + "/cluster", null, null).status() != 200) {
                fail("replica " + n + " does not answer at " + load.api(n) + ": start the network with ci/cluster.sh up");
            }
        }
        if (args[0].equals("scale")) {
            load.scale(Long.parseLong(args[1]));
        } else if (args[0].equals("reads")) {
            load.reads(Integer.parseInt(args[1]));
        } else {
            load.soak(Double.parseDouble(args[1]));
        }
    }

    // ---- scale -----------------------------------------------------------------------------------

    private void scale(long records) throws Exception {
        // One patient per 250 records (at most 4,000: each sign-up derives a key from a password, 1.5 s of a core);
        // SCALE_PATIENTS sets it, e.g. for a network filled over several runs.
        int patientCount = Integer.parseInt(env("SCALE_PATIENTS", Long.toString(Math.max(8, Math.min(4000, records / 250)))));
        people(Math.min(16, Math.max(2, patientCount / 50)), patientCount);
        long before = recordsOnChain();
        fill(records, Integer.parseInt(env("SCALE_WRITERS", "8")));
        System.out.println("opening each patient's chart once (audited reads: access events on chain) ...");
        for (Person p : patients) {
            expect(call("GET", api(1) + "/patients/" + p.id() + "/records?limit=20&reason=" + CHART_REASON, tokenOf(p.doctor()), null), 200, "chart");
        }
        System.out.println("using the FHIR facade, the portal, SOAP and the JSON API on every replica ...");
        for (int n = 1; n <= REPLICAS; n++) {
            exerciseEveryInterface(n);
        }
        double[] p99 = sampleReads(Integer.parseInt(env("SCALE_SAMPLES", "200")));
        double chartP99 = p99[0];
        double logP99 = p99[1];

        long reported = recordsOnChain();
        long onChain = reported < 0 ? records : reported; // this run's records when the status has no count
        double[] heap = new double[REPLICAS + 1];
        long[] db = new long[REPLICAS + 1];
        for (int n = 1; n <= REPLICAS; n++) {
            heap[n] = liveHeapMb(n);
            db[n] = dbMb(n);
        }
        double[] restart = new double[REPLICAS + 1];
        for (int n = REPLICAS; n >= 1; n--) {
            restart[n] = restartSeconds(n);
        }
        double maxHeap = 0;
        double maxRestart = 0;
        long maxDb = 0;
        for (int n = 1; n <= REPLICAS; n++) {
            System.out.printf(Locale.ROOT, "replica=%d records=%d heap_live_mb=%.0f restart_s=%.1f db_mb=%d%n", n, onChain, heap[n],
                    restart[n], db[n]);
            maxHeap = Math.max(maxHeap, heap[n]);
            maxRestart = Math.max(maxRestart, restart[n]);
            maxDb = Math.max(maxDb, db[n]);
        }
        System.out.println("(records added by this run: " + (before < 0 ? records : onChain - before) + "; the last line shows the largest figure of"
                + " the 4 replicas; chart and access log are measured at replica 1, where the staff and patients sign in)");
        System.out.printf(Locale.ROOT, "records=%d heap_live_mb=%.0f restart_s=%.1f chart_ms=%.1f access_log_ms=%.1f db_mb=%d%n",
                onChain, maxHeap, maxRestart, chartP99, logP99, maxDb);
    }

    /**
     * The chart and access-log reads alone, on whatever the network holds: 2 practitioners and 8 patients with 40
     * records each, then {@code samples} of each read, one at a time; prints their p50, p90 and p99.
     */
    private void reads(int samples) throws Exception {
        people(2, 8);
        fill(8 * 40, 8);
        System.out.println("opening each patient's chart once (warm-up) ...");
        sampleReads(Math.max(8, samples / 10));
        sampleReads(samples);
    }

    /**
     * Opens {@code samples} charts (audited: each read is committed to the ledger first) and access logs at replica 1,
     * one at a time, and prints their percentiles; returns the p99 of each.
     */
    private double[] sampleReads(int samples) throws Exception {
        List<Double> charts = new ArrayList<>();
        List<Double> logs = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            Person p = patients.get((i * 7919) % patients.size());
            charts.add(timed(() -> {
                Reply r = expect(call("GET", api(1) + "/patients/" + p.id() + "/records?limit=20&reason=" + CHART_REASON,
                        tokenOf(p.doctor()), null), 200, "chart");
                if (!r.body().contains("\"recordId\"")) {
                    fail("the chart of " + p.id() + " holds no records: its read commits no access event, so it measures nothing");
                }
            }));
            logs.add(timed(() -> expect(call("GET", api(1) + "/patients/" + p.id() + "/access-log?limit=20", p.token(), null),
                    200, "access log")));
        }
        System.out.printf(Locale.ROOT, "samples=%d chart_p50_ms=%.1f chart_p90_ms=%.1f chart_p99_ms=%.1f access_log_p50_ms=%.1f"
                + " access_log_p90_ms=%.1f access_log_p99_ms=%.1f%n", samples, percentile(charts, 0.5), percentile(charts, 0.9),
                percentile(charts, 0.99), percentile(logs, 0.5), percentile(logs, 0.9), percentile(logs, 0.99));
        return new double[] {percentile(charts, 0.99), percentile(logs, 0.99)};
    }

    /**
     * Writes {@code records} observations as transaction bundles of patients, with progress every 10 s; the bundles are
     * small enough that every patient gets records (a chart read of a patient without any records commits nothing).
     */
    private void fill(long records, int writers) throws Exception {
        int perBundle = (int) Math.min(BUNDLE, Math.max(1, (records + patients.size() - 1) / patients.size()));
        System.out.println("writing " + records + " records as FHIR transaction bundles of up to " + perBundle + " with " + writers
                + " writers ...");
        AtomicLong left = new AtomicLong(records);
        AtomicLong written = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        long start = System.nanoTime();
        for (int w = 0; w < writers; w++) {
            pool.submit(() -> {
                while (true) {
                    long take = Math.min(perBundle, left.getAndAdd(-perBundle));
                    if (take <= 0) {
                        return null;
                    }
                    Person p = patients.get(Math.floorMod(next.getAndIncrement(), patients.size()));
                    Reply r = call("POST", fhir(1), p.token(), bundle(p.id(), (int) take));
                    if (r.status() == 200) {
                        written.addAndGet(take);
                    } else {
                        left.addAndGet(take); // written again by a later bundle
                        if (failures.incrementAndGet() <= 5) {
                            System.out.println("  a bundle was refused: " + r.status() + " " + abbreviate(r.body()));
                        }
                        if (failures.get() > 100) {
                            fail("more than 100 bundles refused; stopping");
                        }
                        Thread.sleep(1000);
                    }
                }
            });
        }
        pool.shutdown();
        while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
            double s = (System.nanoTime() - start) / 1e9;
            long done = written.get();
            double rate = done / s;
            System.out.printf(Locale.ROOT, "  %4.0f s: %,d of %,d records (%.0f records/s), about %.0f min to go%n", s, done,
                    records, rate, rate == 0 ? 0 : (records - done) / rate / 60);
        }
        System.out.printf(Locale.ROOT, "wrote %,d records in %.0f s (%d bundles refused and retried)%n", written.get(),
                (System.nanoTime() - start) / 1e9, failures.get());
    }

    private static String bundle(String patientId, int n) {
        StringBuilder b = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
        for (int i = 0; i < n; i++) {
            int systolic = 110 + (i * 7) % 40;
            b.append(i == 0 ? "" : ",").append("{\"fullUrl\":\"urn:uuid:").append(java.util.UUID.randomUUID())
                    .append("\",\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"category\":[{\"coding\":[{")
                    .append("\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"vital-signs\"}]}],")
                    .append("\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\",")
                    .append("\"display\":\"Systolic blood pressure\"}]},\"subject\":{\"reference\":\"Patient/").append(patientId)
                    .append("\"},\"effectiveDateTime\":\"2026-11-").append(String.format("%02d", 1 + i % 28))
                    .append("T08:30:00Z\",\"valueQuantity\":{\"value\":").append(systolic)
                    .append(",\"unit\":\"mmHg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"},\"note\":[{\"text\":\"")
                    .append(NOTE).append("\"}]},\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}");
        }
        return b.append("]}").toString();
    }

    // ---- soak ------------------------------------------------------------------------------------

    private void soak(double minutes) throws Exception {
        people(4, 64);
        int rate = Integer.parseInt(env("SOAK_WRITES_PER_S", "250"));
        long end = System.nanoTime() + (long) (minutes * 60e9);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Thread> loops = new ArrayList<>();
        // Writes at a steady rate: an open loop (a permit per write, at most 256 in flight).
        Semaphore inFlight = new Semaphore(256);
        ExecutorService writers = Executors.newFixedThreadPool(64);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        AtomicLong issued = new AtomicLong();
        AtomicLong behind = new AtomicLong();
        AtomicInteger down = new AtomicInteger(); // the replica killed on purpose, until it answers again: not asked
        double[] credit = {0}; // writes due, carried across ticks: any rate, not only multiples of 100 per second
        ticker.scheduleAtFixedRate(() -> {
            credit[0] += rate / 100.0;
            int due = (int) credit[0];
            credit[0] -= due;
            for (int i = 0; i < due; i++) {
                if (!inFlight.tryAcquire()) {
                    behind.incrementAndGet();
                    continue;
                }
                long k = issued.incrementAndGet();
                Person p = patients.get((int) (k % patients.size()));
                writers.submit(() -> {
                    try {
                        Reply r = call("POST", api(1) + "/patients/" + p.id() + "/records", p.token(),
                                "{\"category\":\"NOTE\",\"title\":\"Soak note " + k + "\",\"text\":\"" + NOTE + "\"}");
                        count(r, 201, writes, errors, "write");
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        // Chart reads by practitioners (each an audited read on chain), FHIR reads and searches, portal pages, OpenAPI.
        loops.add(loop(stop, 100, i -> {
            Person p = patients.get(i % patients.size());
            count(call("GET", api(1) + "/patients/" + p.id() + "/records?limit=20&reason=" + CHART_REASON, tokenOf(p.doctor()), null), 200, reads, errors,
                    "chart");
        }));
        loops.add(loop(stop, 200, i -> {
            Person p = patients.get(i % patients.size());
            count(call("GET", fhir(1) + "/Observation?patient=" + p.id() + "&_count=20", p.token(), null), 200, reads, errors,
                    "FHIR search");
            count(call("GET", fhir(1) + "/Patient/" + p.id(), p.token(), null), 200, reads, errors, "FHIR read");
            count(call("GET", api(1) + "/patients/" + p.id() + "/access-log?limit=20", p.token(), null), 200, reads, errors,
                    "access log");
        }));
        loops.add(loop(stop, 1000, i -> {
            int n = 1 + i % REPLICAS;
            if (n == down.get()) {
                return;
            }
            // The portal's root sends a visitor who is not signed in to the sign-in page.
            count(call("GET", web(n) + "/", null, null), 302, reads, errors, "portal /");
            for (String page : List.of("/login.xhtml", "/signup.xhtml")) {
                count(call("GET", web(n) + page, null, null), 200, reads, errors, "portal " + page);
            }
            count(call("GET", fhir(n) + "/metadata", null, null), 200, reads, errors, "FHIR metadata");
            count(call("GET", web(n) + "/soap/billing?wsdl", null, null), 200, reads, errors, "WSDL");
        }));
        loops.add(loop(stop, 10_000, i -> {
            int n = 1 + i % REPLICAS;
            if (n != down.get()) {
                count(call("GET", web(n) + "/openapi", null, null), 200, reads, errors, "openapi");
            }
        }));

        // Heap samples every 5 minutes; replica 3 killed a third of the way in and restarted 30 s later.
        long startNanos = System.nanoTime();
        List<List<double[]>> heap = new ArrayList<>();
        for (int n = 0; n <= REPLICAS; n++) {
            heap.add(new ArrayList<>());
        }
        long killAt = startNanos + (long) (minutes * 60e9 / 3);
        boolean killed = false;
        long nextSample = startNanos + 60_000_000_000L; // after a minute of warm-up
        long lastWrites = 0;
        while (System.nanoTime() < end) {
            Thread.sleep(10_000);
            double m = (System.nanoTime() - startNanos) / 60e9;
            long w = writes.get();
            System.out.printf(Locale.ROOT, "  %5.1f min: %,d writes (%.0f/s in the last 10 s), %,d reads, %d errors, %d writes"
                    + " not issued (256 in flight)%n", m, w, (w - lastWrites) / 10.0, reads.get(), errors.get(), behind.get());
            lastWrites = w;
            if (!killed && System.nanoTime() >= killAt) {
                killed = true;
                System.out.println("  killing replica 3 (SIGKILL); restarting it in 30 s");
                down.set(3);
                cluster("kill", 3);
                Thread.sleep(30_000);
                long restart = System.nanoTime();
                cluster("start", 3);
                heap.get(3).clear(); // a new process: its growth is measured from here
                down.set(0);
                System.out.printf(Locale.ROOT, "  replica 3 is back (%.0f s from its start to serving)%n", (System.nanoTime() - restart) / 1e9);
            }
            if (System.nanoTime() >= nextSample && System.nanoTime() < end) {
                nextSample += 300_000_000_000L;
                StringBuilder line = new StringBuilder("  live heap (MB):");
                for (int n = 1; n <= REPLICAS; n++) {
                    double mb = liveHeapMb(n);
                    heap.get(n).add(new double[] {m, mb});
                    line.append(" replica ").append(n).append(' ').append(Math.round(mb));
                }
                System.out.println(line);
            }
        }
        stop.set(true);
        ticker.shutdownNow();
        writers.shutdown();
        writers.awaitTermination(2, TimeUnit.MINUTES);
        for (Thread t : loops) {
            t.join(60_000);
        }
        double growth = 0;
        for (int n = 1; n <= REPLICAS; n++) {
            double[] last = new double[] {(System.nanoTime() - startNanos) / 60e9, liveHeapMb(n)};
            heap.get(n).add(last);
            double g = slopePerHour(heap.get(n));
            System.out.printf(Locale.ROOT, "  replica %d: live heap %.0f MB at the end, %.1f MB per hour%n", n, last[1], g);
            growth = Math.max(growth, g);
        }
        boolean equal = headsEqual(180);
        int oom = 0;
        for (int n = 1; n <= REPLICAS; n++) {
            Path log = home.resolve("node-" + n).resolve("replica.log");
            if (Files.exists(log)) {
                try (Stream<String> lines = Files.lines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                    oom += (int) lines.filter(l -> l.contains("OutOfMemoryError")).count();
                }
            }
        }
        System.out.printf(Locale.ROOT, "minutes=%.0f writes=%d errors=%d oom=%d heap_growth_mb_per_hour=%.1f heads_equal=%s%n", minutes,
                writes.get(), errors.get(), oom, growth, equal);
        System.exit(errors.get() == 0 && oom == 0 && equal ? 0 : 1);
    }

    private interface Step {
        void run(int i) throws Exception;
    }

    private static Thread loop(AtomicBoolean stop, long pauseMillis, Step step) {
        Thread t = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    step.run(i);
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    System.out.println("  " + e);
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void count(Reply r, int expected, AtomicLong ok, AtomicLong errors, String what) {
        if (r.status() == expected) {
            ok.incrementAndGet();
        } else if (errors.incrementAndGet() <= 20) {
            System.out.println("  " + what + " failed: " + r.status() + " " + abbreviate(r.body()));
        }
    }

    /** Least-squares slope of (minutes, MB) samples, in MB per hour (0 with fewer than 2 samples). */
    private static double slopePerHour(List<double[]> samples) {
        int n = samples.size();
        if (n < 2) {
            return 0;
        }
        double mx = 0;
        double my = 0;
        for (double[] s : samples) {
            mx += s[0] / n;
            my += s[1] / n;
        }
        double num = 0;
        double den = 0;
        for (double[] s : samples) {
            num += (s[0] - mx) * (s[1] - my);
            den += (s[0] - mx) * (s[0] - mx);
        }
        return den == 0 ? 0 : num / den * 60;
    }

    // ---- people ----------------------------------------------------------------------------------

    /** Registers practitioners (by the first administrator) and signs up patients who consent to one of them. */
    private void people(int doctorCount, int patientCount) throws Exception {
        String password = System.getenv("EHR_ADMIN_PASSWORD");
        if (password == null || password.isBlank()) {
            fail("set EHR_ADMIN_PASSWORD to the first administrator's password (ci/cluster.sh up printed it once)");
        }
        String admin = signIn(env("EHR_ADMIN_ID", "admin"), password);
        System.out.println("registering " + doctorCount + " practitioners and signing up " + patientCount + " patients ...");
        for (int d = 0; d < doctorCount; d++) {
            String id = "dr-" + run + "-" + d;
            Reply r = expect(call("POST", api(1) + "/staff", admin, "{\"userId\":\"" + id + "\",\"name\":\"Dr Load " + d
                    + "\",\"role\":\"PRACTITIONER\"}"), 201, "registration of " + id);
            String own = "own password " + id + " " + System.nanoTime();
            expect(call("POST", api(1) + "/enrolments", null, "{\"userId\":\"" + id + "\",\"code\":\"" + r.field("enrolmentCode")
                    + "\",\"password\":\"" + own + "\"}"), 201, "enrolment of " + id);
            doctors.add(new Person(id, own, null));
        }
        // Sign-ups and sign-ins each derive a key from a password (PBKDF2, 600,000 iterations): 4 at a time.
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Person>> signedUp = new ArrayList<>();
            for (int p = 0; p < patientCount; p++) {
                int n = p;
                signedUp.add(pool.submit(() -> patient(n)));
            }
            for (int p = 0; p < patientCount; p++) {
                patients.add(signedUp.get(p).get());
                if ((p + 1) % 100 == 0) {
                    System.out.println("  " + (p + 1) + " patients");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Signs up patient {@code p}, who consents to one of the practitioners. */
    private Person patient(int p) throws Exception {
        String own = "patient password " + run + " " + p;
        Reply r = expect(call("POST", api(1) + "/patients", null, "{\"name\":\"Load Patient " + run + " " + p
                + "\",\"birthDate\":\"19" + (40 + p % 60) + "-0" + (1 + p % 9) + "-1" + p % 10 + "\",\"contact\":\"load" + p
                + "@example.org\",\"password\":\"" + own + "\"}"), 201, "sign-up");
        String id = r.field("patientId");
        String doctor = doctors.get(p % doctors.size()).id();
        Person patient = new Person(id, own, doctor);
        expect(call("POST", api(1) + "/patients/" + id + "/consents", patient.token(), "{\"grantee\":\"" + doctor
                + "\",\"categories\":[\"OBSERVATION\",\"NOTE\"]}"), 201, "consent");
        return patient;
    }

    private String tokenOf(String doctorId) {
        return doctors.stream().filter(d -> d.id().equals(doctorId)).findFirst().orElseThrow().token();
    }

    /**
     * Signs in at replica 1; a 503 (the replica's limit on concurrent sign-ins: "try again in a few seconds") is retried
     * for up to two minutes, as a client would.
     */
    private String signIn(String id, String password) throws Exception {
        String body = "{\"userId\":\"" + id + "\",\"password\":\"" + password + "\"}";
        long deadline = System.nanoTime() + 120_000_000_000L;
        Reply r = call("POST", api(1) + "/sessions", null, body);
        for (int attempt = 1; r.status() == 503 && System.nanoTime() < deadline; attempt++) {
            Thread.sleep(Math.min(5000, 500L * attempt) + java.util.concurrent.ThreadLocalRandom.current().nextInt(500));
            r = call("POST", api(1) + "/sessions", null, body);
        }
        return expect(r, 201, "sign-in of " + id).field("token");
    }

    // ---- replicas --------------------------------------------------------------------------------

    /** Uses the FHIR facade, the portal, SOAP and the JSON API on a replica (signed in where it holds accounts). */
    private void exerciseEveryInterface(int n) throws Exception {
        expect(call("GET", fhir(n) + "/metadata", null, null), 200, "FHIR metadata");
        expect(call("GET", web(n) + "/", null, null), 302, "portal (to its sign-in page)");
        expect(call("GET", web(n) + "/login.xhtml", null, null), 200, "portal sign-in page");
        expect(call("GET", web(n) + "/soap/billing?wsdl", null, null), 200, "WSDL");
        expect(call("GET", web(n) + "/openapi", null, null), 200, "OpenAPI");
        expect(call("GET", api(n) + "/cluster", null, null), 200, "cluster");
        if (n == 1) {
            Person p = patients.get(0);
            expect(call("GET", fhir(1) + "/Observation?patient=" + p.id() + "&_count=20", p.token(), null), 200, "FHIR search");
            expect(call("POST", fhir(1), p.token(), bundle(p.id(), 1)), 200, "FHIR transaction (validated)");
            expect(call("POST", web(1) + "/soap/billing", null, "<x/>"), 500, "SOAP fault");
        }
    }

    /** The clinical records on chain, as replica 1 reports them ({@code records} in its status), or -1 when it does not. */
    private long recordsOnChain() {
        Matcher m = Pattern.compile("\"records\":(\\d+)").matcher(call("GET", api(1) + "/cluster", null, null).body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Live heap after a full GC, in MB ({@code jcmd GC.run}, then the used heap of {@code GC.heap_info}). */
    private double liveHeapMb(int n) throws Exception {
        String pid = Files.readString(home.resolve("node-" + n).resolve("replica.pid")).strip();
        exec("jcmd", pid, "GC.run");
        String info = exec("jcmd", pid, "GC.heap_info");
        Matcher g1 = Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K").matcher(info);
        if (g1.find()) {
            return Long.parseLong(g1.group(1)) / 1024.0;
        }
        long used = 0;
        Matcher gen = Pattern.compile("(PSYoungGen|ParOldGen|def new generation|tenured generation)\\s+total \\d+K, used (\\d+)K")
                .matcher(info);
        while (gen.find()) {
            used += Long.parseLong(gen.group(2));
        }
        return used / 1024.0;
    }

    /** The size of a replica's database: its Derby directory, or its PostgreSQL database (EHR_DB=postgresql). */
    private long dbMb(int n) throws Exception {
        Path pgpass = home.resolve("postgresql.pgpass");
        if (Files.exists(home.resolve("node-" + n).resolve("db.password")) && Files.exists(pgpass)) {
            String port = env("EHR_PG_PORT", Integer.toString(Integer.parseInt(env("EHR_JGROUPS_BASE", "7800")) + 50));
            ProcessBuilder b = new ProcessBuilder("psql", "-X", "-At", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-c",
                    "SELECT pg_database_size('ehr" + n + "')").redirectErrorStream(true);
            b.environment().put("PGPASSFILE", pgpass.toString());
            Process p = b.start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? Long.parseLong(out) / (1024 * 1024) : -1;
        }
        Path db = home.resolve("node-" + n).resolve("ehrdb");
        if (!Files.isDirectory(db)) {
            return -1;
        }
        try (Stream<Path> files = Files.walk(db)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum() / (1024 * 1024);
        }
    }

    /** Kills a replica and restarts it; the seconds from its start until it serves at its peers' head. */
    private double restartSeconds(int n) throws Exception {
        System.out.println("restarting replica " + n + " ...");
        cluster("kill", n);
        long start = System.nanoTime();
        Process p = new ProcessBuilder("ci/cluster.sh", "start", Integer.toString(n)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // The states the replica reports on its way (after its HTTP port answers), with when each was first seen.
        Map<String, Double> seen = new LinkedHashMap<>();
        while (true) {
            Reply r = call("GET", api(n) + "/cluster", null, null);
            if (r.status() == 200) {
                String state = r.field("state");
                seen.putIfAbsent(state, (System.nanoTime() - start) / 1e9);
                if ("running".equals(state)) {
                    break;
                }
            }
            if (System.nanoTime() - start > 900e9) {
                fail("replica " + n + " did not serve within 15 minutes of its restart (states seen: " + seen + ")");
            }
            Thread.sleep(200);
        }
        double s = (System.nanoTime() - start) / 1e9;
        p.waitFor();
        StringBuilder path = new StringBuilder();
        seen.forEach((state, at) -> path.append(path.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s at %.1f s", state, at)));
        System.out.printf(Locale.ROOT, "  replica %d serves again %.1f s after its start (%s)%n", n, s, path);
        return s;
    }

    private void cluster(String what, int n) throws Exception {
        ProcessBuilder b = new ProcessBuilder("ci/cluster.sh", what, Integer.toString(n)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        b.environment().put("EHR_SKIP_BUILD", "1");
        if (b.start().waitFor() != 0) {
            fail("ci/cluster.sh " + what + " " + n + " failed");
        }
    }

    private boolean headsEqual(int maxSeconds) throws Exception {
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        while (true) {
            Set<String> heads = new HashSet<>();
            for (int n = 1; n <= REPLICAS; n++) {
                Reply r = call("GET", api(n) + "/cluster", null, null);
                heads.add(r.status() == 200 ? r.field("headHash") : "down-" + n);
            }
            if (heads.size() == 1) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("  the replicas' heads still differ after " + maxSeconds + " s: " + heads);
                return false;
            }
            Thread.sleep(1000);
        }
    }

    // ---- HTTP ------------------------------------------------------------------------------------

    private String web(int n) {
        return "http://127.0.0.1:" + (httpBase + n - 1);
    }

    private String api(int n) {
        return web(n) + "/api/v1";
    }

    private String fhir(int n) {
        return web(n) + "/fhir/r4";
    }

    /** A call; a connection failure answers status 0 (a replica down or restarting). */
    private Reply call(String method, String url, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            String type = body.startsWith("<") ? "text/xml" : url.contains("/fhir/") ? "application/fhir+json" : "application/json";
            b.header("Content-Type", type);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Reply(0, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(0, "interrupted");
        }
    }

    private static Reply expect(Reply r, int status, String what) {
        if (r.status() != status) {
            fail(what + " answered " + r.status() + ": " + abbreviate(r.body()));
        }
        return r;
    }

    private interface Call {
        void run() throws Exception;
    }

    private static double timed(Call c) throws Exception {
        long t = System.nanoTime();
        c.run();
        return (System.nanoTime() - t) / 1e6;
    }

    private static double percentile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * q)));
    }

    private static String exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
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

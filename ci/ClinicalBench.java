import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clinical workflows under each basis for reading, against a running network (ci/bench-clinical.sh;
 * compiled with ci/BenchHttp.java, no dependencies). Every organisation of the network (one per replica; the
 * genesis administrator admits the others) gets practitioners, a second administrator who confirms them (so
 * they may break the glass) and patients, each signed in at their own organisation's replica, so the load
 * reaches every replica. Then, each for a warm-up and a measured window:
 * <ul>
 * <li>{@code normal}: a practitioner opens the chart of a patient who consented (the audited read: one
 * RECORD_ACCESS per category committed, then decryption) and adds a note or a prescription;</li>
 * <li>{@code break_glass}: the same on patients of their organisation for whom they opened break-glass access;</li>
 * <li>{@code refused}: the same on patients they have no basis for (the attempt is committed and refused);</li>
 * <li>{@code emergency}: the same patients once administrators of two organisations declared the emergency
 * state (ended afterwards);</li>
 * <li>{@code mix}: 70 % chart reads, 20 % writes, 10 % consent changes (a patient grants or withdraws).</li>
 * </ul>
 * Then the timeline (1-s buckets): steady mixed load with one probe per replica reading a patient without
 * basis; the emergency state declared, then ended (time from the second vote to the first allowed read on
 * every replica, and from the end to the first refusal); then the faults of BENCH_FAULTS in order: {@code stall}
 * (a backup stopped 150 ms of every 300 ms with SIGSTOP/SIGCONT), {@code link} (the links of the replica behind
 * ci/cluster.sh's proxies made slow, lossy or stalled, one BENCH_LINK_FAULTS setting per phase), {@code kill}
 * (the primary killed and restarted) and {@code kill_emergency} (the same in the emergency state); every fault
 * and view change marked in events.csv.
 *
 * <p>Last lines: {@code scenario=<name> ops=<N> throughput_ops_per_s=<x> p50_ms=<y> p99_ms=<z>}. Raw figures go to
 * the results directory: scenarios.csv, buckets.csv (phase, second, ops, errors, p50, p99), events.csv,
 * switch.csv.
 */
public final class ClinicalBench {

    private static final String[] CATEGORIES = {"DEMOGRAPHICS", "NOTE", "PRESCRIPTION"};

    private final int n = env("EHR_REPLICAS", 4);
    private final int httpBase = env("EHR_HTTP_BASE", 8081);
    private final Path home = Path.of(System.getenv().getOrDefault("EHR_CLUSTER_HOME", ".cluster")).toAbsolutePath();
    private final int practitionersPerOrg = Math.max(3, env("BENCH_PRACTITIONERS", 3));
    private final int patientsPerOrg = Math.max(practitionersPerOrg, env("BENCH_PATIENTS", 6));
    private final int loops = env("BENCH_LOOPS", 24);
    private final int warmup = env("BENCH_WARMUP", 5);
    private final int seconds = env("BENCH_SCENARIO_SECONDS", 15);
    private final int phase = env("BENCH_PHASE_SECONDS", 15);
    private final int recovery = env("BENCH_RECOVERY_SECONDS", 60);
    private final boolean timeline = env("BENCH_TIMELINE", 1) == 1;
    private final String text = "x".repeat(env("BENCH_RECORD_BYTES", 1024));
    private final Path results;
    private final String tag = Long.toString(System.currentTimeMillis() / 1000 % 10_000_000, 36);

    private final List<String> adminTokens = new ArrayList<>();
    /** Each organisation's administrator (by replica, 0-based) and password, to sign in again after a restart. */
    private final List<String> adminIds = new ArrayList<>();
    private final List<String> adminPasswords = new ArrayList<>();
    private final List<Person> practitioners = Collections.synchronizedList(new ArrayList<>());
    private final List<Person> patients = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> extraConsent = new ConcurrentHashMap<>();
    private final List<String> scenarioLines = new ArrayList<>();
    private final StringBuilder scenariosCsv = new StringBuilder("scenario,ops,errors,seconds,throughput_ops_per_s,p50_ms,p99_ms,mean_ms,"
            + "reads,read_p50_ms,read_p99_ms,writes,write_p50_ms,write_p99_ms,consent_changes,consent_p50_ms,consent_p99_ms,"
            + "blocks_per_s,block_ms\n");
    private final StringBuilder bucketsCsv = new StringBuilder("phase,second,ops,errors,p50_ms,p99_ms\n");
    private final StringBuilder eventsCsv = new StringBuilder("phase,second,event\n");
    private final StringBuilder switchCsv = new StringBuilder("replica,declare_to_first_allowed_ms,end_to_first_refusal_ms\n");

    /**
     * A signed-in person: id, password, session, organisation index (= replica index), index in the organisation.
     * Sessions live in their replica's memory: after a restart the person signs in again.
     */
    record Person(String id, String password, AtomicReference<String> session, int org, int index) {

        String token() {
            return session.get();
        }
    }

    /**
     * One request: when it started (ns since the phase began), how long it took, at which replica, how it ended,
     * and what it was ('r' chart read, 'w' write, 'c' consent change).
     */
    record Sample(long start, long nanos, int replica, boolean ok, int status, char kind) {
    }

    /** An operation of a closed loop; returns its samples. */
    interface Op {
        void run(Person practitioner, Person patient, List<Sample> out, long t0) throws Exception;
    }

    ClinicalBench(Path results) {
        this.results = results;
    }

    public static void main(String[] args) throws Exception {
        ClinicalBench b = new ClinicalBench(Path.of(args.length > 0 ? args[0] : "target/bench-clinical"));
        Files.createDirectories(b.results);
        b.setUp();
        b.scenarios();
        if (b.timeline) {
            b.timeline();
        }
        b.write();
        for (String line : b.scenarioLines) {
            System.out.println(line);
        }
        System.exit(0);
    }

    // ---- set-up: organisations, staff, patients, consents, break-glass

    private void setUp() throws Exception {
        String password = System.getenv("EHR_ADMIN_PASSWORD");
        if (password == null || password.isBlank()) {
            throw new IllegalStateException("EHR_ADMIN_PASSWORD: the first administrator's password (ci/cluster.sh up prints it once)");
        }
        Path saved = home.resolve("bench-clinical.admins");
        Properties admins = new Properties();
        if (Files.exists(saved)) {
            try (var in = Files.newInputStream(saved)) {
                admins.load(in);
            }
        }
        adminTokens.add(signIn(0, "admin", password));
        adminIds.add("admin");
        adminPasswords.add(password);
        for (int k = 1; k < n; k++) {
            String id = "bench-admin-" + k;
            if (admins.getProperty(id) == null) {
                admins.setProperty(id, admit(k, id));
                try (var out = Files.newOutputStream(saved)) { // reused by the next run on this network
                    admins.store(out, "administrators of the organisations ci/bench-clinical.sh admitted");
                }
            }
            adminTokens.add(signIn(k, id, admins.getProperty(id)));
            adminIds.add(id);
            adminPasswords.add(admins.getProperty(id));
        }
        System.out.println("setting up " + practitionersPerOrg + " practitioners and " + patientsPerOrg
                + " patients in each of " + n + " organisations (run " + tag + ") ...");
        long t = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<?>> done = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int org = k;
            done.add(pool.submit(() -> {
                setUpOrganisation(org);
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        done.clear();
        // Consents (patient j of organisation m to practitioner j mod P of m and of the next organisation) and
        // break-glass (practitioner i on their organisation's patients j with j mod P = i + 1).
        for (int k = 0; k < n; k++) {
            int org = k;
            done.add(pool.submit(() -> {
                for (Person p : patientsOf(org)) {
                    int i = p.index() % practitionersPerOrg;
                    grant(p, practitioner(org, i).id());
                    grant(p, practitioner((org + 1) % n, i).id());
                }
                for (Person d : practitionersOf(org)) {
                    for (Person p : glassPatients(d)) {
                        BenchHttp.post(api(org) + "/patients/" + p.id() + "/break-glass", d.token(),
                                "{\"reason\":\"Unconscious on arrival, no consent possible\",\"minutes\":240}", 201);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("set up in %.0f s%n", (System.nanoTime() - t) / 1e9);
    }

    private void setUpOrganisation(int k) throws Exception {
        String second = "adm2-" + tag + "-" + k;
        String secondToken = signIn(k, second, staff(k, adminTokens.get(k), second, "ADMIN"));
        for (int i = 0; i < practitionersPerOrg; i++) {
            String id = "dr-" + tag + "-" + k + "-" + i;
            String pw = staff(k, adminTokens.get(k), id, "PRACTITIONER");
            BenchHttp.post(api(k) + "/staff/" + id + "/confirmation", secondToken, "{}", 201);
            practitioners.add(new Person(id, pw, new AtomicReference<>(signIn(k, id, pw)), k, i));
        }
        for (int j = 0; j < patientsPerOrg; j++) {
            String pw = "bench patient password " + tag + " " + k + " " + j;
            String id = BenchHttp.field(BenchHttp.post(api(k) + "/patients", null, "{\"name\":\"Bench Patient " + k + "-" + j
                    + "\",\"birthDate\":\"1960-01-0" + (1 + j % 9) + "\",\"contact\":\"p" + j + "@example.org\",\"password\":\""
                    + pw + "\"}", 201), "patientId");
            Person p = new Person(id, pw, new AtomicReference<>(signIn(k, id, pw)), k, j);
            BenchHttp.post(api(k) + "/patients/" + id + "/records", p.token(), note("History", "Known asthma. " + text), 201);
            patients.add(p);
        }
    }

    /** Bootstraps replica k's organisation, has a majority of the members vote it in, enrols its administrator. */
    private String admit(int k, String adminId) throws Exception {
        String secret = "bench-" + System.nanoTime();
        Files.writeString(home.resolve("node-" + (k + 1)).resolve("bootstrap.token"), secret + "\n");
        BenchHttp.Reply boot = BenchHttp.send("POST", api(k) + "/bootstrap", null,
                "{\"adminId\":\"" + adminId + "\",\"name\":\"Bench administrator " + k + "\"}", "X-Bootstrap-Secret", secret);
        if (boot.status() != 201) {
            throw new IllegalStateException("bootstrap of replica " + (k + 1) + " (already bootstrapped by someone else?): " + boot.body());
        }
        String request = BenchHttp.field(boot.body(), "admissionRequest");
        for (int m = 0; m < k; m++) {
            String vote = BenchHttp.post(api(m) + "/organisations/admissions", adminTokens.get(m),
                    "{\"admissionRequest\":\"" + request + "\"}", 201);
            if (vote.contains("\"admitted\":true")) {
                break;
            }
        }
        System.out.println("  organisation of replica " + (k + 1) + " admitted");
        return enrol(k, adminId, BenchHttp.field(boot.body(), "enrolmentCode"));
    }

    private String staff(int k, String adminToken, String id, String role) throws Exception {
        String r = BenchHttp.post(api(k) + "/staff", adminToken, "{\"userId\":\"" + id + "\",\"name\":\"Bench " + id
                + "\",\"role\":\"" + role + "\"}", 201);
        return enrol(k, id, BenchHttp.field(r, "enrolmentCode"));
    }

    private String enrol(int k, String id, String code) throws Exception {
        String pw = "own password of " + id + " " + Long.toHexString(System.nanoTime());
        String body = "{\"userId\":\"" + id + "\",\"code\":\"" + code + "\",\"password\":\"" + pw + "\"}";
        BenchHttp.Reply r = BenchHttp.send("POST", api(k) + "/enrolments", null, body);
        for (int i = 0; i < 40 && r.status() == 403 && r.body().contains("awaits admission"); i++) {
            Thread.sleep(250); // the admission committed; this replica is storing its block
            r = BenchHttp.send("POST", api(k) + "/enrolments", null, body);
        }
        if (r.status() != 201) {
            throw new IllegalStateException("enrolment of " + id + ": " + r.body());
        }
        return pw;
    }

    private String signIn(int k, String id, String pw) throws Exception {
        return BenchHttp.field(BenchHttp.post(api(k) + "/sessions", null, "{\"userId\":\"" + id + "\",\"password\":\"" + pw
                + "\"}", 201), "token");
    }

    /**
     * Signs the person in again if their session is gone (their replica restarted), once: the loops that share
     * a person wait for each other, and a session that another loop renewed already is kept. A practitioner's
     * session is renewed if it is still the one that was refused ({@code refused}); a patient's if it is refused
     * now (a cheap read, not a sign-in: each sign-in costs the replica a password derivation).
     */
    private void renew(Person p, String refused) {
        synchronized (p) {
            try {
                boolean gone = p.id().startsWith("dr-") ? p.token().equals(refused)
                        : BenchHttp.send("GET", api(p.org()) + "/patients/" + p.id() + "/consents", p.token(), null)
                                .status() == 401;
                if (gone) {
                    p.session().set(signIn(p.org(), p.id(), p.password()));
                }
            } catch (Exception e) {
                // still down: the next 401 tries again
            }
        }
    }

    private String grant(Person patient, String grantee) throws Exception {
        StringBuilder cats = new StringBuilder();
        for (String c : CATEGORIES) {
            cats.append(cats.length() == 0 ? "" : ",").append('"').append(c).append('"');
        }
        return BenchHttp.field(BenchHttp.post(api(patient.org()) + "/patients/" + patient.id() + "/consents", patient.token(),
                "{\"grantee\":\"" + grantee + "\",\"categories\":[" + cats + "]}", 201), "consentId");
    }

    // ---- who may read whom, and why

    private List<Person> practitionersOf(int org) {
        return practitioners.stream().filter(p -> p.org() == org).sorted((a, b) -> a.index() - b.index()).toList();
    }

    private List<Person> patientsOf(int org) {
        return patients.stream().filter(p -> p.org() == org).sorted((a, b) -> a.index() - b.index()).toList();
    }

    private Person practitioner(int org, int index) {
        return practitionersOf(org).get(index);
    }

    /** Patients who consented to this practitioner (of their organisation and of the previous one). */
    private List<Person> consentPatients(Person d) {
        int previous = (d.org() + n - 1) % n;
        return patients.stream().filter(p -> (p.org() == d.org() || p.org() == previous)
                && p.index() % practitionersPerOrg == d.index()).toList();
    }

    /** Patients of the practitioner's organisation for whom they opened break-glass access. */
    private List<Person> glassPatients(Person d) {
        return patientsOf(d.org()).stream().filter(p -> p.index() % practitionersPerOrg == (d.index() + 1) % practitionersPerOrg)
                .toList();
    }

    /** Patients of the practitioner's organisation they have no basis for (unless the emergency state is in force). */
    private List<Person> noBasisPatients(Person d) {
        return patientsOf(d.org()).stream().filter(p -> p.index() % practitionersPerOrg == (d.index() + 2) % practitionersPerOrg)
                .toList();
    }

    // ---- operations, each one API request through the real path

    private Sample chart(Person d, Person p, long t0) throws Exception {
        return timed('r', d.org(), t0, () -> BenchHttp.send("GET", api(d.org()) + "/patients/" + p.id()
                + "/records?reason=Ward+round&limit=20", d.token(), null));
    }

    private Sample write(Person d, Person p, long t0) throws Exception {
        boolean prescription = ThreadLocalRandom.current().nextBoolean();
        return timed('w', d.org(), t0, () -> prescription
                ? BenchHttp.send("POST", api(d.org()) + "/patients/" + p.id() + "/prescriptions", d.token(),
                        "{\"drug\":\"Amoxicillin\",\"dose\":\"500 mg\",\"route\":\"oral\",\"frequency\":\"3 times a day\","
                                + "\"duration\":\"7 days\"}")
                : BenchHttp.send("POST", api(d.org()) + "/patients/" + p.id() + "/records", d.token(), note("Ward round", text)));
    }

    /** The patient withdraws the extra consent they gave last time, or gives one to a practitioner elsewhere. */
    private Sample consentChange(Person p, long t0) throws Exception {
        String given = extraConsent.remove(p.id());
        if (given != null) {
            return timed('c', p.org(), t0, () -> BenchHttp.send("DELETE", api(p.org()) + "/patients/" + p.id() + "/consents/"
                    + given, p.token(), null));
        }
        Person d = practitioner((p.org() + 2) % n, ThreadLocalRandom.current().nextInt(practitionersPerOrg));
        String json = "{\"grantee\":\"" + d.id() + "\",\"categories\":[\"NOTE\"]}";
        long start = System.nanoTime();
        BenchHttp.Reply r = BenchHttp.send("POST", api(p.org()) + "/patients/" + p.id() + "/consents", p.token(), json);
        if (r.status() == 201) {
            extraConsent.put(p.id(), BenchHttp.field(r.body(), "consentId"));
        }
        return new Sample(start - t0, System.nanoTime() - start, p.org(), r.status() < 300, r.status(), 'c');
    }

    interface Call {
        BenchHttp.Reply call() throws Exception;
    }

    private static Sample timed(char kind, int replica, long t0, Call c) {
        long start = System.nanoTime();
        int status;
        try {
            status = c.call().status();
        } catch (Exception e) {
            status = 0;
        }
        return new Sample(start - t0, System.nanoTime() - start, replica, status >= 200 && status < 300, status, kind);
    }

    private static String note(String title, String body) {
        return "{\"category\":\"NOTE\",\"title\":\"" + title + "\",\"text\":\"" + body + "\"}";
    }

    // ---- the scenarios

    private void scenarios() throws Exception {
        Op readAndWrite = (d, p, out, t0) -> {
            out.add(chart(d, p, t0));
            out.add(write(d, p, t0));
        };
        // BENCH_SCENARIOS: which, in which order (the order matters on a warming or shared machine).
        for (String name : System.getenv().getOrDefault("BENCH_SCENARIOS", "normal,break_glass,refused,emergency,mix").split(",")) {
            switch (name.strip()) {
                case "normal" -> scenario("normal", this::consentPatients, readAndWrite, 200, 201);
                case "break_glass" -> scenario("break_glass", this::glassPatients, readAndWrite, 200, 201);
                case "refused" -> scenario("refused", this::noBasisPatients, readAndWrite, 422);
                case "emergency" -> {
                    emergency(true, "Mass-casualty incident, triage mode", -1);
                    scenario("emergency", this::noBasisPatients, readAndWrite, 200, 201);
                    emergency(false, "Incident over, back to normal", -1);
                }
                case "mix" -> scenario("mix", this::consentPatients, (d, p, out, t0) -> out.add(mixed(d, p, t0)), 200, 201);
                default -> throw new IllegalArgumentException("BENCH_SCENARIOS: unknown scenario " + name);
            }
        }
    }

    private Sample mixed(Person d, Person p, long t0) throws Exception {
        double x = ThreadLocalRandom.current().nextDouble();
        return x < 0.7 ? chart(d, p, t0) : x < 0.9 ? write(d, p, t0) : consentChange(p, t0);
    }

    /** Runs closed loops (each bound to one practitioner, so at every replica) for warm-up + measured seconds. */
    private void scenario(String name, java.util.function.Function<Person, List<Person>> whom, Op op, int... expected)
            throws Exception {
        System.out.println("scenario " + name + ": " + loops + " loops, " + warmup + " s warm-up, " + seconds + " s ...");
        ConcurrentLinkedQueue<Sample> all = new ConcurrentLinkedQueue<>();
        long t0 = System.nanoTime() + warmup * 1_000_000_000L;
        long[] before = new long[2];
        Thread blocks = new Thread(() -> {
            sleepUntil(t0, 0);
            before[0] = height();
        });
        blocks.start();
        runLoops(all, op, whom, t0, t0 + seconds * 1_000_000_000L, null);
        blocks.join();
        String status = BenchHttp.get(api(0) + "/cluster");
        double blocksPerSecond = (Long.parseLong(BenchHttp.field(status, "height")) - before[0]) / (double) seconds;
        double blockMillis = Double.parseDouble(BenchHttp.field(status, "blockMillis"));
        List<Sample> measured = all.stream().filter(s -> s.start() >= 0 && s.start() < seconds * 1_000_000_000L).toList();
        List<Long> okNanos = new ArrayList<>();
        long errors = 0;
        for (Sample s : measured) {
            if (expected(s, expected)) {
                okNanos.add(s.nanos());
            } else if (++errors <= 3) {
                System.out.println("  unexpected answer: " + s.status());
            }
        }
        double p50 = BenchHttp.percentile(okNanos, 0.5);
        double p99 = BenchHttp.percentile(okNanos, 0.99);
        double mean = okNanos.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
        StringBuilder kinds = new StringBuilder();
        for (char kind : new char[] {'r', 'w', 'c'}) {
            List<Long> k = measured.stream().filter(x -> x.kind() == kind && expected(x, expected)).map(Sample::nanos).toList();
            kinds.append(String.format(Locale.ROOT, ",%d,%.1f,%.1f", k.size(), BenchHttp.percentile(k, 0.5), BenchHttp.percentile(k, 0.99)));
        }
        String line = String.format(Locale.ROOT, "scenario=%s ops=%d throughput_ops_per_s=%.1f p50_ms=%.1f p99_ms=%.1f",
                name, okNanos.size(), okNanos.size() / (double) seconds, p50, p99);
        System.out.println("  " + line + (errors > 0 ? " unexpected_answers=" + errors : "")
                + String.format(Locale.ROOT, " (reads, writes, consent changes: count,p50,p99%s; blocks/s %.1f, %.0f ms to"
                + " execute and store one)", kinds, blocksPerSecond, blockMillis));
        scenarioLines.add(line);
        scenariosCsv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.2f,%.1f,%.1f,%.1f%s,%.1f,%.1f%n", name, okNanos.size(), errors,
                seconds, okNanos.size() / (double) seconds, p50, p99, mean, kinds, blocksPerSecond, blockMillis));
        buckets(name, measured, seconds, expected);
    }

    private void runLoops(ConcurrentLinkedQueue<Sample> out, Op op, java.util.function.Function<Person, List<Person>> whom,
                          long t0, long until, AtomicBoolean stop) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<Person> staff = List.copyOf(practitioners);
        for (int l = 0; l < loops; l++) {
            Person d = staff.get(l % staff.size());
            List<Person> mine = whom.apply(d);
            Thread t = new Thread(() -> {
                List<Sample> batch = new ArrayList<>();
                while (System.nanoTime() < until && (stop == null || !stop.get())) {
                    String used = d.token();
                    try {
                        op.run(d, mine.get(ThreadLocalRandom.current().nextInt(mine.size())), batch, t0);
                    } catch (Exception e) {
                        batch.add(new Sample(System.nanoTime() - t0, 0, d.org(), false, 0, '?'));
                    }
                    Sample last = batch.isEmpty() ? null : batch.get(batch.size() - 1);
                    if (last != null && last.status() == 0) {
                        sleep(200); // the replica does not answer (killed): do not spin
                    } else if (last != null && last.status() == 401) {
                        renew(d, used); // the replica restarted and forgot its sessions
                        mine.forEach(p -> renew(p, null));
                        sleep(200); // and it may not sign anyone in yet
                    }
                    out.addAll(batch);
                    batch.clear();
                }
            }, "clinical-loop-" + l);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private void buckets(String name, List<Sample> samples, int secs, int... expected) {
        Map<Integer, List<Long>> ok = new TreeMap<>();
        Map<Integer, Integer> errors = new TreeMap<>();
        for (int s = 0; s < secs; s++) {
            ok.put(s, new ArrayList<>());
            errors.put(s, 0);
        }
        for (Sample s : samples) {
            int second = (int) ((s.start() + s.nanos()) / 1_000_000_000L); // by completion: when the caller saw it
            if (second < 0 || second >= secs) {
                continue;
            }
            if (expected(s, expected)) {
                ok.get(second).add(s.nanos());
            } else {
                errors.merge(second, 1, Integer::sum);
            }
        }
        for (int s = 0; s < secs; s++) {
            bucketsCsv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.1f,%.1f%n", name, s, ok.get(s).size(), errors.get(s),
                    BenchHttp.percentile(ok.get(s), 0.5), BenchHttp.percentile(ok.get(s), 0.99)));
        }
    }

    private static boolean expected(Sample s, int... statuses) {
        for (int e : statuses) {
            if (s.status() == e) {
                return true;
            }
        }
        return false;
    }

    /** Administrators of organisations 1 and 2 vote to declare (or end) the emergency state; returns the second vote's answer time. */
    /**
     * Administrators of two organisations vote the emergency state in or out, each at their own replica (not
     * {@code avoid}, 1-based, -1 for none), signed in afresh (a restarted replica forgot its sessions); returns when
     * the second vote was answered.
     */
    private long emergency(boolean declare, String reason, int avoid) throws Exception {
        String path = declare ? "/emergency/declarations" : "/emergency/endings";
        String body = "{\"reason\":\"" + reason + "\"" + (declare ? ",\"minutes\":240" : "") + "}";
        String second = null;
        int votes = 0;
        for (int k = 0; k < n && votes < 2; k++) {
            if (k + 1 == avoid) {
                continue;
            }
            String token = signIn(k, adminIds.get(k), adminPasswords.get(k));
            second = BenchHttp.post(api(k) + path, token, body, 201);
            votes++;
        }
        long at = System.nanoTime();
        if (second == null || !second.contains("\"active\":" + declare)) {
            throw new IllegalStateException("the emergency state did not " + (declare ? "start" : "end") + ": " + second);
        }
        return at;
    }

    // ---- the timeline: the switch into and out of the emergency state, a stalled replica, the primary killed

    private void timeline() throws Exception {
        List<String> faults = List.of(System.getenv().getOrDefault("BENCH_FAULTS", "stall,kill").split(","));
        int linkReplica = linkProxied();
        for (String f : faults) {
            if (!List.of("stall", "link", "kill", "kill_emergency").contains(f.strip())) {
                throw new IllegalArgumentException("BENCH_FAULTS: stall, link, kill, kill_emergency (got '" + f + "')");
            }
            if (f.strip().equals("link") && linkReplica < 0) {
                throw new IllegalStateException("BENCH_FAULTS=link needs a network whose links are behind proxies: "
                        + "EHR_LINK_PROXY=2 ci/cluster.sh up (see ci/cluster.sh)");
            }
        }
        System.out.println("timeline: mixed load with probes on every replica; the emergency switch, then " + faults + " ...");
        ConcurrentLinkedQueue<Sample> load = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Sample> probes = new ConcurrentLinkedQueue<>();
        long t0 = System.nanoTime();
        long until = t0 + 4 * 3_600 * 1_000_000_000L; // the segments end it (stop)
        AtomicBoolean stop = new AtomicBoolean();
        Thread loadThread = new Thread(() -> {
            try {
                runLoops(load, (d, p, out, t) -> out.add(mixed(d, p, t)), this::consentPatients, t0, until, stop);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loadThread.start();
        List<Thread> probeThreads = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Person d = practitioner(k, 0);
            Person p = noBasisPatients(d).get(0);
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    String used = d.token();
                    try {
                        Sample s = chart(d, p, t0);
                        probes.add(s);
                        if (s.status() == 0) {
                            sleep(200);
                        } else if (s.status() == 401) {
                            renew(d, used);
                            sleep(200);
                        }
                    } catch (Exception e) {
                        sleep(200);
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            probeThreads.add(t);
        }
        Thread watcher = watchViews(t0, until, stop);

        sleepUntil(t0, phase);
        long declared = emergency(true, "Regional power outage, triage mode", -1);
        event(t0, declared, "emergency declared (second vote answered)");
        sleepUntil(t0, 2 * phase);
        long ended = emergency(false, "Power restored, back to normal", -1);
        event(t0, ended, "emergency ended (second vote answered)");
        sleepFor(phase);

        for (String fault : faults) {
            switch (fault.strip()) {
                case "stall" -> stall(t0);
                case "link" -> badLinks(t0, linkReplica);
                case "kill" -> killPrimary(t0, false);
                case "kill_emergency" -> killPrimary(t0, true);
                default -> throw new IllegalStateException(fault);
            }
        }
        stop.set(true);
        loadThread.join();
        watcher.join(5_000);
        int total = (int) Math.ceil((System.nanoTime() - t0) / 1e9);

        List<Sample> everything = new ArrayList<>(load);
        buckets("timeline", everything, total, 200, 201);
        buckets("timeline_probes", new ArrayList<>(probes), total, 200); // allowed reads; refusals count as errors
        // The switch, per replica: from the second vote's answer to the first allowed (200) probe read that
        // completed after it; from the end to the first refused (422) one.
        for (int k = 0; k < n; k++) {
            int replica = k;
            long firstAllowed = probes.stream().filter(s -> s.replica() == replica && s.status() == 200
                    && t0 + s.start() + s.nanos() > declared && t0 + s.start() + s.nanos() < ended)
                    .mapToLong(s -> t0 + s.start() + s.nanos() - declared).min().orElse(-1);
            long firstRefused = probes.stream().filter(s -> s.replica() == replica && s.status() == 422
                    && t0 + s.start() + s.nanos() > ended).mapToLong(s -> t0 + s.start() + s.nanos() - ended).min().orElse(-1);
            switchCsv.append(String.format(Locale.ROOT, "%d,%.0f,%.0f%n", k + 1, firstAllowed / 1e6, firstRefused / 1e6));
            System.out.printf(Locale.ROOT, "  replica %d: first emergency read allowed %.0f ms after the second vote, first refusal"
                    + " %.0f ms after the end%n", k + 1, firstAllowed / 1e6, firstRefused / 1e6);
        }
    }

    /** A backup stalled 150 ms of every 300 ms (SIGSTOP/SIGCONT) for a phase, then a phase of normal running. */
    private void stall(long t0) throws Exception {
        int stalled = (primary() + 1) % n + 1; // the backup after the primary (replica numbers from 1)
        String stalledPid = pid(stalled);
        event(t0, System.nanoTime(), "replica " + stalled + " stalls 150 ms of every 300 ms");
        long stallEnd = System.nanoTime() + phase * 1_000_000_000L;
        while (System.nanoTime() < stallEnd && stalledPid != null) {
            BenchHttp.signal("STOP", stalledPid);
            sleep(150);
            BenchHttp.signal("CONT", stalledPid);
            sleep(150);
        }
        event(t0, System.nanoTime(), "replica " + stalled + " runs normally again");
        sleepFor(phase);
    }

    /**
     * The proxied replica's links made bad, one BENCH_LINK_FAULTS setting per phase (ci/cluster.sh link: delay=MS,
     * reset=FRACTION, stall=0|1), each followed by a phase of sound links.
     */
    private void badLinks(long t0, int replica) throws Exception {
        String settings = System.getenv().getOrDefault("BENCH_LINK_FAULTS", "delay=300|delay=300 reset=0.05");
        for (String faults : settings.split("\\|")) {
            linkFaults(faults.strip());
            event(t0, System.nanoTime(), "replica " + replica + "'s links: " + faults.strip());
            sleepFor(phase);
            linkFaults("");
            event(t0, System.nanoTime(), "replica " + replica + "'s links sound again");
            sleepFor(phase);
        }
    }

    /**
     * The primary killed (SIGKILL), restarted after a third of BENCH_RECOVERY_SECONDS (at most 30 s), and waited for
     * until it runs again and the recovery time is over; in the emergency state if asked (declared a phase before
     * the kill, ended once the killed replica runs again), then a phase of normal running.
     */
    private void killPrimary(long t0, boolean inEmergency) throws Exception {
        if (inEmergency) {
            event(t0, emergency(true, "Flooding, hospital evacuation", -1), "emergency declared (second vote answered)");
            sleepFor(phase);
        }
        int primary = primary() + 1;
        long killed = System.nanoTime();
        cluster("kill", primary);
        event(t0, System.nanoTime(), "primary (replica " + primary + ") killed" + (inEmergency ? " in the emergency state" : ""));
        sleepFor(Math.min(30, recovery / 3));
        event(t0, System.nanoTime(), "replica " + primary + " restarting");
        Thread restart = new Thread(() -> {
            try {
                cluster("start", primary);
                event(t0, System.nanoTime(), "replica " + primary + " running again");
            } catch (Exception e) {
                System.out.println("  restart of replica " + primary + " failed: " + e);
            }
        });
        restart.start();
        sleep(Math.max(0, (killed + recovery * 1_000_000_000L - System.nanoTime()) / 1_000_000));
        restart.join(300_000);
        if (inEmergency) {
            event(t0, emergency(false, "Evacuation complete", primary), "emergency ended (second vote answered)");
        }
        sleepFor(phase);
    }

    /** The replica whose links are behind ci/cluster.sh's proxies (EHR_LINK_PROXY), or -1. */
    private int linkProxied() throws IOException {
        Path f = home.resolve("link-proxy");
        return Files.exists(f) ? Integer.parseInt(Files.readString(f).strip()) : -1;
    }

    /** Sets the proxied replica's link faults (the proxies read the file within 200 ms); "" for sound links. */
    private void linkFaults(String faults) throws IOException {
        Path control = home.resolve("link-proxy.control");
        Path next = home.resolve("link-proxy.control.new");
        Files.writeString(next, faults + "\n");
        Files.move(next, control, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void sleepFor(int seconds) {
        sleep(seconds * 1_000L);
    }

    private Thread watchViews(long t0, long until, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            int[] views = new int[n];
            java.util.Arrays.fill(views, -1);
            while (System.nanoTime() < until && !stop.get()) {
                for (int k = 0; k < n; k++) {
                    try {
                        String s = BenchHttp.send("GET", api(k) + "/cluster", null, null).body();
                        int v = Integer.parseInt(BenchHttp.field(s, "view"));
                        if (views[k] >= 0 && v != views[k]) {
                            event(t0, System.nanoTime(), "replica " + (k + 1) + " in view " + v + " (primary replica "
                                    + (Integer.parseInt(BenchHttp.field(s, "primary")) + 1) + ")");
                        }
                        views[k] = v;
                    } catch (Exception e) {
                        // down or starting: its view is seen again when it answers
                    }
                }
                sleep(500);
            }
        }, "view-watcher");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private synchronized void event(long t0, long at, String what) {
        double s = (at - t0) / 1e9;
        eventsCsv.append(String.format(Locale.ROOT, "timeline,%.2f,%s%n", s, what));
        System.out.printf(Locale.ROOT, "  %6.1f s: %s%n", s, what);
    }

    private long height() {
        try {
            return Long.parseLong(BenchHttp.field(BenchHttp.get(api(0) + "/cluster"), "height"));
        } catch (Exception e) {
            return 0;
        }
    }

    /** The primary's consensus id (0-based), as replica 2 (or any answering replica) sees it. */
    private int primary() throws Exception {
        for (int k = 0; k < n; k++) {
            try {
                return Integer.parseInt(BenchHttp.field(BenchHttp.get(api(k) + "/cluster"), "primary"));
            } catch (Exception e) {
                // try the next replica
            }
        }
        throw new IllegalStateException("no replica answers");
    }

    private String pid(int replica) throws IOException {
        Path f = home.resolve("node-" + replica).resolve("replica.pid");
        return Files.exists(f) ? Files.readString(f).strip() : null;
    }

    private void cluster(String command, int replica) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("ci/cluster.sh", command, Integer.toString(replica)).redirectErrorStream(true)
                .redirectOutput(results.resolve("cluster-" + command + "-" + replica + ".log").toFile());
        pb.environment().put("EHR_SKIP_BUILD", "1");
        int rc = pb.start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("ci/cluster.sh " + command + " " + replica + " failed (" + rc + ")");
        }
    }

    // ---- output

    private void write() throws IOException {
        Files.writeString(results.resolve("scenarios.csv"), scenariosCsv);
        Files.writeString(results.resolve("buckets.csv"), bucketsCsv);
        Files.writeString(results.resolve("events.csv"), eventsCsv);
        Files.writeString(results.resolve("switch.csv"), switchCsv);
        System.out.println("raw results in " + results);
    }

    private String api(int k) {
        return "http://127.0.0.1:" + (httpBase + k) + "/api/v1";
    }

    private static void sleepUntil(long t0, int second) {
        sleep(Math.max(0, (t0 + second * 1_000_000_000L - System.nanoTime()) / 1_000_000));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int env(String name, int fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.strip());
    }
}

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end write benchmark against a running network (compiled with ci/BenchHttp.java and run by
 * ci/bench-e2e.sh; no dependencies). Patients sign up through the JSON API, sign in, and then closed
 * loops add 1 KiB clinical notes to their own records (authenticated "add clinical record" writes,
 * each signed, encrypted, ordered by PBFT and stored by all 4 replicas) for the measured period after
 * a warm-up. Finally every replica verifies its whole stored chain and all must report the same head.
 *
 * <p>Arguments: baseUrl... (the replicas' API roots; writes go to the first), loops, warmupSeconds,
 * seconds, recordBytes.
 */
public final class E2eBench {

    public static void main(String[] args) throws Exception {
        List<String> bases = Arrays.asList(args[0].split(","));
        int loops = Integer.parseInt(args[1]);
        int warmup = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int recordBytes = Integer.parseInt(args[4]);
        // Fault mode: pause one replica's process (SIGSTOP) for part of the measured window, then resume it.
        int pauseReplica = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        int pauseAt = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        int pauseSeconds = args.length > 7 ? Integer.parseInt(args[7]) : 0;
        String pid = args.length > 8 ? args[8] : "";
        String api = bases.get(0);

        int patients = Math.max(1, Math.min(16, loops / 8));
        System.out.println("signing up " + patients + " patients at " + api + " ...");
        List<String[]> who = new ArrayList<>();
        for (int p = 0; p < patients; p++) {
            String password = "bench password " + System.nanoTime();
            String r = BenchHttp.post(api + "/patients", null, "{\"name\":\"Bench Patient " + p + "\",\"birthDate\":\"1975-05-0"
                    + (1 + p % 9) + "\",\"contact\":\"bench" + p + "@example.org\",\"password\":\"" + password + "\"}", 201);
            String id = BenchHttp.field(r, "patientId");
            String token = BenchHttp.field(BenchHttp.post(api + "/sessions", null, "{\"userId\":\"" + id + "\",\"password\":\"" + password + "\"}",
                    201), "token");
            who.add(new String[] {id, token});
        }

        String text = "x".repeat(recordBytes);
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong failures = new AtomicLong();
        AtomicLong measured = new AtomicLong();
        long[][] latencies = new long[loops][1 << 16];
        long[][] startedAt = new long[loops][1 << 16];
        long[] measureStart = new long[1];
        int[] counts = new int[loops];
        CountDownLatch done = new CountDownLatch(loops);
        for (int l = 0; l < loops; l++) {
            int slot = l;
            String[] p = who.get(l % who.size());
            String url = api + "/patients/" + p[0] + "/records";
            Thread t = new Thread(() -> {
                int i = 0;
                try {
                    while (!stop.get()) {
                        String body = "{\"category\":\"NOTE\",\"title\":\"Home reading " + i++ + "\",\"text\":\"" + text + "\"}";
                        long start = System.nanoTime();
                        boolean ok;
                        try {
                            HttpResponse<String> r = BenchHttp.HTTP.send(HttpRequest.newBuilder(URI.create(url))
                                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + p[1])
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                            ok = r.statusCode() == 201;
                            if (!ok && failures.incrementAndGet() <= 3) {
                                System.out.println("write failed: " + r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            ok = false;
                            if (failures.incrementAndGet() <= 3) {
                                System.out.println("write failed: " + e);
                            }
                        }
                        long nanos = System.nanoTime() - start;
                        if (ok && measuring.get()) {
                            measured.incrementAndGet();
                            if (counts[slot] < latencies[slot].length) {
                                startedAt[slot][counts[slot]] = start - measureStart[0];
                                latencies[slot][counts[slot]++] = nanos;
                            }
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "bench-loop-" + l);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("warming up for " + warmup + " s with " + loops + " closed-loop writers ...");
        Thread.sleep(warmup * 1000L);
        long start = System.nanoTime();
        measureStart[0] = start;
        measuring.set(true);
        long last = 0;
        for (int s = 1; s <= seconds; s++) {
            if (pauseReplica > 0 && s - 1 == pauseAt) {
                BenchHttp.signal("STOP", pid);
                System.out.println("  " + (s - 1) + " s: replica " + pauseReplica + " paused (SIGSTOP) for " + pauseSeconds + " s");
            }
            if (pauseReplica > 0 && s - 1 == pauseAt + pauseSeconds) {
                BenchHttp.signal("CONT", pid);
                System.out.println("  " + (s - 1) + " s: replica " + pauseReplica + " resumed (SIGCONT)");
            }
            Thread.sleep(Math.max(0, start + s * 1_000_000_000L - System.nanoTime()) / 1_000_000);
            long now = measured.get();
            if (pauseReplica > 0 || s % 10 == 0) {
                System.out.println("  " + s + " s: " + (now - last) + " writes in this second, " + now / s + " writes/s so far");
            }
            last = now;
        }
        if (pauseReplica > 0 && pauseAt + pauseSeconds >= seconds) {
            BenchHttp.signal("CONT", pid);
        }
        measuring.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long writes = measured.get();
        stop.set(true);
        done.await();

        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int at = 0;
        for (int l = 0; l < loops; l++) {
            System.arraycopy(latencies[l], 0, all, at, counts[l]);
            at += counts[l];
        }
        Arrays.sort(all);
        double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;

        System.out.println("verifying the chain on every replica ...");
        boolean verified = true;
        String head = null;
        BenchHttp.waitForEqualHeads(bases, pauseReplica > 0 ? 180 : 10); // a resumed replica may still be catching up
        for (String base : bases) {
            String v = BenchHttp.get(base + "/blocks/verification");
            boolean valid = v.contains("\"valid\":true");
            String h = BenchHttp.field(v, "headHash");
            System.out.println("  " + base + ": " + (valid ? "verified" : "FAILED " + v) + ", head " + h.substring(0, 12)
                    + ", " + BenchHttp.field(v, "blocks") + " blocks");
            verified &= valid && (head == null || head.equals(h));
            head = h;
        }
        if (failures.get() > 0) {
            System.out.println("failed writes: " + failures.get());
        }
        if (pauseReplica > 0) {
            // Writes split by when they started: before the pause (the normal figure), while the replica was
            // paused, and after it resumed (while it catches up).
            List<Long> before = new ArrayList<>();
            List<Long> paused = new ArrayList<>();
            List<Long> after = new ArrayList<>();
            long from = pauseAt * 1_000_000_000L;
            long to = (pauseAt + (long) pauseSeconds) * 1_000_000_000L;
            for (int l = 0; l < loops; l++) {
                for (int k = 0; k < counts[l]; k++) {
                    long t = startedAt[l][k];
                    (t < from ? before : t < to ? paused : after).add(latencies[l][k]);
                }
            }
            double beforeRate = before.size() / Math.max(1.0, pauseAt);
            double pausedRate = paused.size() / Math.max(1.0, pauseSeconds);
            double afterRate = after.size() / Math.max(1.0, seconds - pauseAt - pauseSeconds);
            double p99Before = BenchHttp.percentile(before, 0.99);
            double p99Paused = BenchHttp.percentile(paused, 0.99);
            System.out.printf("replicas=%d writes=%d paused_replica=%d paused_s=%d throughput_before_writes_per_s=%.0f"
                    + " throughput_paused_writes_per_s=%.0f throughput_after_resume_writes_per_s=%.0f throughput_ratio=%.2f"
                    + " p99_before_ms=%.1f p99_paused_ms=%.1f p99_after_resume_ms=%.1f p99_ratio=%.2f failed_writes=%d"
                    + " chain_verified=%s%n", bases.size(), writes, pauseReplica, pauseSeconds, beforeRate, pausedRate,
                    afterRate, pausedRate / Math.max(1, beforeRate), p99Before, p99Paused, BenchHttp.percentile(after, 0.99),
                    p99Paused / Math.max(0.001, p99Before), failures.get(), verified);
            System.exit(verified ? 0 : 1);
        }
        System.out.printf("replicas=%d writes=%d throughput_writes_per_s=%.0f p50_ms=%.1f p99_ms=%.1f chain_verified=%s%n",
                bases.size(), writes, writes / elapsed, p50, p99, verified);
        System.exit(verified ? 0 : 1);
    }
}

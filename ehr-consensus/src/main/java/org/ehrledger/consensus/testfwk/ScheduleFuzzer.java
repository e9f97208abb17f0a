package org.ehrledger.consensus.testfwk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.ehrledger.consensus.api.ConsensusLog;
import org.ehrledger.consensus.log.FileConsensusLog;

/**
 * Seeded adversarial schedules for the PBFT core, each replayable alone from its seed. A schedule picks a
 * network size (n = 4, or 7 for one seed in five), f Byzantine replicas and what they do (the attacks of
 * {@link Adversary}, lying replies and checkpoints, equivocation, or a Twins pair placed in different
 * partitions), a sequence of network phases (Twins-style enumerated partitions with asymmetric links,
 * random isolation, loss, duplication, delays), crashes and restarts, and, for one seed in three, write-ahead
 * logs in real files whose writes tear and whose fsyncs fail at chosen points, on correct replicas too.
 *
 * <p>Each schedule is checked for agreement (no two correct replicas execute different batches at one
 * sequence, nothing executes twice), for linearizability (every result a client accepted is the result
 * of executing the agreed order sequentially), and, once faults stop, for liveness (every request
 * completes and the correct replicas converge).
 *
 * <p>{@code main [SCHEDULES] [FIRST_SEED]} runs many and prints, last,
 * {@code schedules=<N> violations=<V> seeds_failed=<list>}; {@code main --seed S} replays one.
 */
public final class ScheduleFuzzer {

    private ScheduleFuzzer() {
    }

    /** The outcome of one schedule. */
    public record Outcome(long seed, String description, List<String> violations, long executed) {
    }

    /** Number of targeted scenarios for n = 4 (see {@link #targeted}); seeds divisible by 4 walk through them. */
    public static final int TARGETED_SCENARIOS = 4 * 4 * 11;

    /** Runs the schedule of one seed. */
    public static Outcome run(long seed) {
        Random rnd = new Random(seed);
        if (seed % 4 == 0) {
            return targeted(seed, (seed / 4) % TARGETED_SCENARIOS);
        }
        int n = rnd.nextInt(5) == 0 ? 7 : 4;
        boolean fileLogs = rnd.nextInt(3) == 0;
        boolean twins = rnd.nextInt(3) == 0;
        Path dir = null;
        try {
            FaultyDisk[] disks = new FaultyDisk[n];
            java.util.function.IntFunction<ConsensusLog> logs = null;
            if (fileLogs) {
                dir = Files.createTempDirectory("pbft-fuzz-" + seed + "-");
                Path d = dir;
                for (int i = 0; i < n; i++) {
                    disks[i] = new FaultyDisk().simulateFsync();
                }
                logs = i -> new FileConsensusLog(d.resolve("replica-" + i + ".wal"), true, disks[i].opener());
            }
            SimCluster cluster = new SimCluster(n, 3, seed, SimCluster.simulationSettings(), 32, logs,
                    SimCluster.unbundledClients());
            StringBuilder description = new StringBuilder("n=" + n + (fileLogs ? " file-logs" : ""));
            List<String> violations = new ArrayList<>();
            try {
                runSchedule(cluster, rnd, seed, twins, disks, description, violations);
            } catch (RuntimeException | AssertionError e) {
                violations.add("schedule failed: " + e);
            }
            long executed = IntStream.range(0, n).mapToLong(i -> cluster.replica(i).status().lastExecuted()).max()
                    .orElse(0);
            return new Outcome(seed, description.toString(), violations, executed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(dir);
        }
    }

    private static void runSchedule(SimCluster cluster, Random rnd, long seed, boolean twins, FaultyDisk[] disks,
                                    StringBuilder description, List<String> violations) {
        int n = cluster.config().n();
        int f = cluster.config().f();
        cluster.network().delays(1, 5 + rnd.nextInt(30)).loss(rnd.nextDouble() * 0.05).duplication(0.02);

        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        java.util.Collections.shuffle(order, rnd);
        Set<Integer> faulty = new HashSet<>(order.subList(0, f));
        List<Integer> twinIds = new ArrayList<>();
        for (int r : new java.util.TreeSet<>(faulty)) {
            if (twins) {
                twinIds.add(cluster.twin(r));
                description.append(" twin(").append(r).append(')');
                continue;
            }
            EnumSet<Adversary.Attack> attacks = EnumSet.noneOf(Adversary.Attack.class);
            for (Adversary.Attack a : Adversary.Attack.values()) {
                if (rnd.nextBoolean()) {
                    attacks.add(a);
                }
            }
            Set<Integer> victims = new HashSet<>();
            for (int v = 0; v < n; v++) {
                if (v != r && rnd.nextBoolean()) {
                    victims.add(v);
                }
            }
            cluster.network().addInterceptor(new Adversary(cluster, r, attacks, victims, seed * 31 + r));
            description.append(" byzantine(").append(r).append(attacks).append(" victims ").append(victims);
            if (rnd.nextInt(3) == 0) {
                cluster.network().addInterceptor(Byzantine.lyingReplies(cluster, r));
                description.append(" lying-replies");
            }
            if (rnd.nextInt(3) == 0) {
                cluster.network().addInterceptor(Byzantine.lyingCheckpoints(cluster, r));
                description.append(" lying-checkpoints");
            }
            if (rnd.nextInt(3) == 0) {
                cluster.network().addInterceptor(Byzantine.equivocatingPrimary(cluster, r, victims));
                description.append(" equivocating-primary");
            }
            description.append(')');
        }

        // The network may delay any message for any time (asynchrony): per phase, some kinds of message to
        // some replicas do not arrive at all while the phase lasts.
        Set<String> delayed = new HashSet<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            if (delayed.isEmpty() || !cluster.config().isReplica(to)) {
                return List.of(frame);
            }
            String type = org.ehrledger.consensus.message.Envelope.open(cluster.cryptoOf(to), frame).message().type().name();
            return delayed.contains(type + "->" + to) || delayed.contains(type + "<-" + from) ? List.of() : List.of(frame);
        });

        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        int phases = 3 + rnd.nextInt(4);
        for (int phase = 0; phase < phases; phase++) {
            cluster.network().heal();
            delayed.clear();
            if (twins) {
                twinsPartition(cluster, rnd, seed, phase, twinIds, description);
            } else {
                int faults = 1 + rnd.nextInt(3);
                for (int k = 0; k < faults; k++) {
                    randomFaults(cluster, rnd, faulty, description);
                }
            }
            if (rnd.nextBoolean()) {
                delay(cluster, rnd, delayed, description);
            }
            if (disks[0] != null) {
                diskFault(cluster, rnd, disks, description);
            }
            int perClient = 2 + rnd.nextInt(8);
            for (int i = 0; i < perClient; i++) {
                for (int c = 0; c < 3; c++) {
                    futures.add(cluster.submit(c, ("s" + seed + "-p" + phase + "-c" + c + "-" + i)
                            .getBytes(StandardCharsets.UTF_8)));
                }
            }
            cluster.network().runFor(100 + rnd.nextInt(1_200));
            restartFailed(cluster, rnd, faulty);
            if (!cluster.violations().isEmpty()) {
                violations.addAll(cluster.violations());
                return;
            }
        }
        // Faults stop (the Byzantine replicas go on attacking): heal, restart, and everything must complete.
        cluster.network().heal();
        delayed.clear();
        cluster.network().loss(0);
        if (disks[0] != null) {
            for (FaultyDisk d : disks) {
                d.disarm();
            }
        }
        for (int r = 0; r < n; r++) {
            if (cluster.isCrashed(r) || cluster.replica(r).status().failed()) {
                restart(cluster, r);
            }
        }
        boolean live = cluster.awaitAll(futures, 300_000);
        violations.addAll(cluster.violations());
        violations.addAll(cluster.linearizabilityViolations());
        if (!live) {
            long open = futures.stream().filter(x -> !x.isDone()).count();
            violations.add("liveness: " + open + " of " + futures.size() + " requests incomplete after faults stopped; "
                    + cluster.statuses());
            return;
        }
        int[] correct = IntStream.range(0, n).filter(r -> !faulty.contains(r)).toArray();
        if (!cluster.network().runUntil(() -> cluster.converged(correct), 120_000)) {
            violations.add("correct replicas did not converge: " + cluster.statuses());
        }
        violations.addAll(cluster.violations());
    }

    /**
     * One of {@value #TARGETED_SCENARIOS} enumerated leader-and-partition scenarios for n = 4, built around
     * the hardest moment of PBFT: a Byzantine replica becoming primary of a new view while correct replicas
     * disagree on how far they are. Phase 1 (the first checkpoint is reached): replica X is cut off and the
     * checkpoint messages to replica S1 are lost. Phase 2: the primary turns slow, so the others move on to
     * a view whose primary is the Byzantine replica (which attacks the new view with pre-prepares outside O,
     * a selective new view and withheld checkpoints); X is back but learns of no checkpoint or state, nor do
     * the replicas of S2 (none, one or two). Then the network heals.
     */
    static Outcome targeted(long seed, long index) {
        int x = (int) (index % 4);
        int s1Code = (int) ((index / 4) % 4);
        int s2Code = (int) ((index / 16) % 11);
        Set<Integer> s1 = s1Code == 0 ? Set.of() : Set.of((x + s1Code) % 4);
        Set<Integer> s2 = new HashSet<>();
        if (s2Code >= 1 && s2Code <= 4) {
            s2.add(s2Code - 1);
        } else if (s2Code > 4) {
            int[][] pairs = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
            s2.add(pairs[s2Code - 5][0]);
            s2.add(pairs[s2Code - 5][1]);
        }
        int byzantine = x == 0 ? 2 : 1; // the primary of the view after the phase-2 view change
        String description = "targeted #" + index + ": byzantine " + byzantine + ", cut off " + x
                + ", checkpoints lost to " + s1 + ", then the primary slow, no checkpoint or state to " + x + " and " + s2;
        SimCluster cluster = SimCluster.of(4, 3, seed);
        cluster.network().delays(1, 5);
        List<String> violations = new ArrayList<>();
        Set<String> delayed = new HashSet<>();
        int[] slow = {-1};
        cluster.network().addInterceptor(new Adversary(cluster, byzantine, EnumSet.of(Adversary.Attack.PRE_PREPARE_OUTSIDE_O,
                Adversary.Attack.SELECTIVE_NEW_VIEW, Adversary.Attack.WITHHOLD_CHECKPOINTS), s2, seed));
        cluster.network().addInterceptor((from, to, frame) -> {
            if (!cluster.config().isReplica(to) || !cluster.config().isReplica(from)) {
                return List.of(frame);
            }
            if (from == slow[0] || to == slow[0]) {
                return List.of();
            }
            String type = org.ehrledger.consensus.message.Envelope.open(cluster.cryptoOf(to), frame).message().type().name();
            return delayed.contains(type + "->" + to) ? List.of() : List.of(frame);
        });
        try {
            cluster.network().isolate(x);
            for (int r : s1) {
                delayed.add("CHECKPOINT->" + r);
                delayed.add("STATE_RESPONSE->" + r);
            }
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                CompletableFuture<byte[]> f = cluster.submit(i % 3, ("t" + seed + "-a" + i).getBytes(StandardCharsets.UTF_8));
                futures.add(f);
                cluster.awaitAll(List.of(f), 5_000);
            }
            cluster.network().heal();
            delayed.clear();
            int correctReplica = x == 3 ? 2 : 3;
            slow[0] = cluster.replica(correctReplica).status().primary();
            for (int r : s2) {
                delayed.add("CHECKPOINT->" + r);
                delayed.add("STATE_RESPONSE->" + r);
            }
            delayed.add("CHECKPOINT->" + x);
            delayed.add("STATE_RESPONSE->" + x);
            for (int i = 0; i < 3; i++) {
                futures.add(cluster.submit(i, ("t" + seed + "-b" + i).getBytes(StandardCharsets.UTF_8)));
            }
            cluster.network().runFor(3_000);
            violations.addAll(cluster.violations());
            slow[0] = -1;
            delayed.clear();
            if (violations.isEmpty()) {
                if (!cluster.awaitAll(futures, 300_000)) {
                    violations.add("liveness: requests incomplete after faults stopped; " + cluster.statuses());
                }
                violations.addAll(cluster.violations());
                violations.addAll(cluster.linearizabilityViolations());
                int[] correct = IntStream.range(0, 4).filter(r -> r != byzantine).toArray();
                if (violations.isEmpty() && !cluster.network().runUntil(() -> cluster.converged(correct), 120_000)) {
                    violations.add("correct replicas did not converge: " + cluster.statuses());
                }
            }
        } catch (RuntimeException | AssertionError e) {
            violations.add("schedule failed: " + e);
        }
        long executed = IntStream.range(0, 4).mapToLong(i -> cluster.replica(i).status().lastExecuted()).max().orElse(0);
        return new Outcome(seed, description, violations, executed);
    }

    /**
     * A Twins phase: each twin pair is split (the original and its twin in different groups) and every
     * correct replica joins one side; the choice is enumerated from the seed for n = 4 and sampled for n = 7.
     * Sometimes one link is cut in one direction only.
     */
    private static void twinsPartition(SimCluster cluster, Random rnd, long seed, int phase, List<Integer> twinIds,
                                       StringBuilder description) {
        int n = cluster.config().n();
        int correctCount = n - twinIds.size();
        long pattern = n == 4 ? (seed >>> (3 * phase)) & 7 : rnd.nextInt(1 << correctCount);
        int bit = 0;
        StringBuilder sides = new StringBuilder();
        for (int r = 0; r < n; r++) {
            if (twinIds.contains(SimCluster.TWIN_BASE + r)) {
                cluster.network().group(r, 1);
                cluster.network().group(SimCluster.TWIN_BASE + r, 2);
                continue;
            }
            int side = (pattern >>> bit++) % 2 == 0 ? 1 : 2;
            cluster.network().group(r, side);
            sides.append(r).append(side == 1 ? "A" : "B");
        }
        for (int c = 0; c < 3; c++) {
            cluster.network().group(org.ehrledger.consensus.api.ClusterConfig.FIRST_CLIENT_ID + c, 1 + rnd.nextInt(2));
        }
        description.append(" | phase ").append(phase).append(": ").append(sides);
        if (rnd.nextInt(3) == 0) {
            int a = rnd.nextInt(n);
            int b = (a + 1 + rnd.nextInt(n - 1)) % n;
            cluster.network().group(b, cluster.network().groupOf(a)); // same side, but a cannot reach b
            cluster.network().cut(a, b);
            description.append(" cut ").append(a).append("->").append(b);
        }
    }

    private static final String[] DELAYABLE = {"CHECKPOINT", "STATE_RESPONSE", "STATE_REQUEST", "PREPARE", "COMMIT",
        "PRE_PREPARE", "VIEW_CHANGE", "NEW_VIEW", "FETCH_BATCH", "BATCH_CONTENT"};

    /** Holds back one or more kinds of message to (or from) one or two replicas for the phase. */
    private static void delay(SimCluster cluster, Random rnd, Set<String> delayed, StringBuilder description) {
        int n = cluster.config().n();
        int victims = 1 + rnd.nextInt(2);
        for (int v = 0; v < victims; v++) {
            int r = rnd.nextInt(n);
            int kinds = 1 + rnd.nextInt(3);
            for (int k = 0; k < kinds; k++) {
                String rule = DELAYABLE[rnd.nextInt(DELAYABLE.length)] + (rnd.nextInt(4) == 0 ? "<-" : "->") + r;
                delayed.add(rule);
                description.append(" delay ").append(rule);
            }
        }
    }

    /** A random phase: isolate one replica (any), crash or restart a faulty one, or nothing. */
    private static void randomFaults(SimCluster cluster, Random rnd, Set<Integer> faulty, StringBuilder description) {
        int n = cluster.config().n();
        switch (rnd.nextInt(5)) {
            case 0 -> {
                int r = new ArrayList<>(faulty).get(rnd.nextInt(faulty.size()));
                if (!cluster.isCrashed(r)) {
                    cluster.crash(r);
                    description.append(" | crash ").append(r);
                }
            }
            case 1 -> {
                int victim = rnd.nextInt(n);
                cluster.network().isolate(victim);
                description.append(" | isolate ").append(victim);
            }
            case 2 -> {
                int a = rnd.nextInt(n);
                int b = (a + 1 + rnd.nextInt(n - 1)) % n;
                cluster.network().cut(a, b);
                description.append(" | cut ").append(a).append("->").append(b);
            }
            default -> {
            }
        }
    }

    /** Arms a torn write or a failed fsync on one replica's disk, correct or not. */
    private static void diskFault(SimCluster cluster, Random rnd, FaultyDisk[] disks, StringBuilder description) {
        if (rnd.nextInt(2) == 0) {
            return;
        }
        int r = rnd.nextInt(disks.length);
        if (rnd.nextBoolean()) {
            int after = rnd.nextInt(40);
            int bytes = rnd.nextInt(200);
            disks[r].failWriteAfter(after, bytes);
            description.append(" | torn write on ").append(r).append(" after ").append(after);
        } else {
            FaultyDisk.UnsyncedData lost = FaultyDisk.UnsyncedData.values()[rnd.nextInt(3)];
            int after = rnd.nextInt(40);
            disks[r].failForceAfter(after, lost);
            description.append(" | fsync fails on ").append(r).append(" after ").append(after).append(' ').append(lost);
        }
    }

    /** Restarts replicas that failed (fail-stop after a disk fault) and, sometimes, crashed faulty ones. */
    private static void restartFailed(SimCluster cluster, Random rnd, Set<Integer> faulty) {
        for (int r = 0; r < cluster.config().n(); r++) {
            boolean failed = !cluster.isCrashed(r) && cluster.replica(r).status().failed();
            boolean crashedFaulty = cluster.isCrashed(r) && faulty.contains(r) && rnd.nextBoolean();
            if (failed || crashedFaulty) {
                restart(cluster, r);
            }
        }
    }

    private static void restart(SimCluster cluster, int r) {
        if (!cluster.isCrashed(r)) {
            cluster.crash(r);
        }
        cluster.restart(r);
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; the OS cleans it eventually
        }
    }

    /**
     * Runs schedules and prints one line per failing seed and a summary as the last line.
     *
     * @param args {@code [SCHEDULES] [FIRST_SEED]}, or {@code --seed S} to replay one schedule verbosely
     */
    public static void main(String[] args) {
        java.util.logging.LogManager.getLogManager().reset(); // replicas log view changes; the summary is what counts
        if (args.length == 2 && args[0].equals("--seed")) {
            Outcome o = run(Long.parseLong(args[1]));
            System.out.println("seed " + o.seed() + ": " + o.description());
            o.violations().forEach(v -> System.out.println("  violation: " + v));
            System.out.println("schedules=1 violations=" + o.violations().size() + " seeds_failed="
                    + (o.violations().isEmpty() ? "" : o.seed()));
            System.exit(o.violations().isEmpty() ? 0 : 1);
        }
        int schedules = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        long first = args.length > 1 ? Long.parseLong(args[1]) : 1;
        long start = System.nanoTime();
        int violations = 0;
        List<Long> failed = new ArrayList<>();
        for (int i = 0; i < schedules; i++) {
            long seed = first + i;
            Outcome o = run(seed);
            if (!o.violations().isEmpty()) {
                violations += o.violations().size();
                failed.add(seed);
                System.out.println("seed " + seed + " FAILED (" + o.description() + "): " + o.violations().get(0));
            }
            if ((i + 1) % 50 == 0 || i + 1 == schedules) {
                System.out.printf("progress: %d/%d schedules, %d failed, %.0f s%n", i + 1, schedules, failed.size(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
        System.out.printf("elapsed: %.0f s; replay a failed seed alone with: ci/fuzz-consensus.sh --seed SEED%n",
                (System.nanoTime() - start) / 1e9);
        System.out.println("schedules=" + schedules + " violations=" + violations + " seeds_failed="
                + String.join(",", failed.stream().map(String::valueOf).toList()));
        System.exit(failed.isEmpty() ? 0 : 1);
    }
}

package org.ehrledger.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import org.ehrledger.consensus.testfwk.Byzantine;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random fault schedules, one per seed: message loss, duplication and reordering; f replicas chosen
 * as faulty that crash and restart, lie in replies and checkpoints, and equivocate whenever they are
 * primary; partitions of correct replicas that come and go. After each run: no two replicas executed
 * different batches at one sequence number, no request executed twice, and once faults stop every
 * request completes and the correct replicas hold identical state.
 */
class SafetyPropertyTest {

    /** 40 + 15 seeds by default; {@code -Dpbft.seeds=N} explores N seeds of each size (and a different range). */
    static Stream<Arguments> seeds() {
        String only = System.getProperty("pbft.only"); // "n:seed", to replay one failing run
        if (only != null) {
            String[] p = only.split(":");
            return Stream.of(Arguments.of(Integer.parseInt(p[0]), Long.parseLong(p[1])));
        }
        int wide = Integer.getInteger("pbft.seeds", 0);
        long base = wide > 0 ? 100_000 : 0;
        int n4 = wide > 0 ? wide : 40;
        int n7 = wide > 0 ? wide : 15;
        return Stream.concat(LongStream.rangeClosed(1, n4).mapToObj(s -> Arguments.of(4, base + 1000 + s)),
                LongStream.rangeClosed(1, n7).mapToObj(s -> Arguments.of(7, base + 50_000 + s)));
    }

    @Execution(ExecutionMode.CONCURRENT)
    @ParameterizedTest(name = "n={0} seed={1}")
    @MethodSource("seeds")
    void noTwoReplicasEverExecuteDifferentBatchesAtOneSequence(int n, long seed) {
        SimCluster cluster = SimCluster.of(n, 3, seed);
        Random rnd = new Random(seed);
        int f = cluster.config().f();
        cluster.network().delays(1, 5 + rnd.nextInt(30)).loss(rnd.nextDouble() * 0.08).duplication(0.02);

        Set<Integer> faulty = new HashSet<>();
        while (faulty.size() < f) {
            faulty.add(rnd.nextInt(n));
        }
        for (int r : faulty) {
            if (rnd.nextBoolean()) {
                cluster.network().addInterceptor(Byzantine.lyingReplies(cluster, r));
            }
            if (rnd.nextBoolean()) {
                cluster.network().addInterceptor(Byzantine.lyingCheckpoints(cluster, r));
            }
            if (rnd.nextBoolean()) {
                Set<Integer> victims = new HashSet<>();
                for (int v = 0; v < n; v++) {
                    if (v != r && rnd.nextBoolean()) {
                        victims.add(v);
                    }
                }
                cluster.network().addInterceptor(Byzantine.equivocatingPrimary(cluster, r, victims));
            }
        }
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        int expected = 0;
        for (int step = 0; step < 12; step++) {
            int perClient = 1 + rnd.nextInt(6);
            futures.addAll(Scenarios.submit(cluster, 3, perClient, "s" + step));
            expected += 3 * perClient;
            cluster.network().runFor(50 + rnd.nextInt(400));
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    int r = pick(rnd, faulty);
                    if (!cluster.isCrashed(r)) {
                        cluster.crash(r);
                    }
                }
                case 1 -> {
                    for (int r : faulty) {
                        if (cluster.isCrashed(r)) {
                            cluster.restart(r);
                        }
                    }
                }
                case 2 -> {
                    int victim = rnd.nextInt(n); // any single replica, correct ones included
                    cluster.network().partition(Set.of(victim));
                }
                case 3 -> cluster.network().heal();
                default -> {
                }
            }
            assertEquals(List.of(), cluster.violations(), "safety after step " + step);
        }
        // Faults stop: heal, restart, and everything acknowledged or pending must complete.
        cluster.network().heal();
        cluster.network().loss(0);
        for (int r : faulty) {
            if (cluster.isCrashed(r)) {
                cluster.restart(r);
            }
        }
        assertTrue(cluster.awaitAll(futures, 300_000), "liveness once faults stop; " + cluster.statuses());
        int[] correct = java.util.stream.IntStream.range(0, n).filter(r -> !faulty.contains(r)).toArray();
        Scenarios.assertConverged(cluster, expected, correct);
    }

    private static int pick(Random rnd, Set<Integer> set) {
        return new ArrayList<>(set).get(rnd.nextInt(set.size()));
    }
}

package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.assertConverged;
import static org.ehrledger.consensus.Scenarios.except;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ViewChangeTest {

    @ParameterizedTest(name = "n={0} seed={1}")
    @CsvSource({"4, 11", "7, 12"})
    void crashedPrimaryIsReplacedAndNoCommittedRequestIsLostOrExecutedTwice(int n, long seed) {
        SimCluster cluster = SimCluster.of(n, 3, seed);
        cluster.network().delays(1, 15).loss(0.02);
        assertAllCompleted(cluster, submit(cluster, 3, 20, "before"), 60_000);
        long committedBefore = cluster.replica(1).status().lastExecuted();
        Map<Long, Digest> history = new HashMap<>();
        for (long s = 1; s <= committedBefore; s++) {
            history.put(s, cluster.executedAt(1, s));
        }

        cluster.crash(0);
        assertAllCompleted(cluster, submit(cluster, 3, 20, "after"), 120_000);

        int[] correct = except(cluster, 0);
        assertConverged(cluster, 120, correct);
        for (int r : correct) {
            ReplicaStatus st = cluster.replica(r).status();
            assertTrue(st.view() >= 1, "replica " + r + " left view 0");
            assertTrue(st.primary() != 0, "the crashed replica is no longer primary");
        }
        // Everything committed before the crash kept its sequence number and content.
        for (var e : history.entrySet()) {
            for (int r : correct) {
                Digest d = cluster.executedAt(r, e.getKey());
                if (d != null) {
                    assertEquals(e.getValue(), d, "replica " + r + " sequence " + e.getKey());
                }
            }
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {21, 22, 23})
    void primaryCrashingWithBatchesInFlightLosesNothingAcknowledged(long seed) {
        SimCluster cluster = SimCluster.of(4, 4, seed);
        cluster.network().delays(2, 12);
        List<CompletableFuture<byte[]>> futures = submit(cluster, 4, 25, "inflight");
        cluster.network().runFor(30 + seed % 20); // some batches commit, others are in flight
        List<CompletableFuture<byte[]>> acknowledged = futures.stream().filter(CompletableFuture::isDone).toList();
        cluster.crash(0);
        assertAllCompleted(cluster, futures, 120_000);
        assertConverged(cluster, 100, except(cluster, 0));
        assertTrue(acknowledged.stream().allMatch(f -> !f.isCompletedExceptionally()));
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {31, 32})
    void whenTheNextPrimaryIsAlsoDownTheViewChangeMovesOnWithBackOff(long seed) {
        SimCluster cluster = SimCluster.of(7, 2, seed); // f = 2
        cluster.network().delays(1, 10);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "warm"), 60_000);
        cluster.crash(0);
        cluster.crash(1);
        long start = cluster.network().now();
        assertAllCompleted(cluster, submit(cluster, 2, 10, "after"), 180_000);
        assertConverged(cluster, 40, except(cluster, 0, 1));
        for (int r : except(cluster, 0, 1)) {
            assertTrue(cluster.replica(r).status().view() >= 2, "view 1's primary is down too, so view >= 2");
        }
        assertTrue(cluster.network().now() - start >= 400, "at least one view-change timeout elapsed");
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {45, 46})
    void replicasIsolatedForMinutesDoNotRaceThroughViewsAndRecoverQuicklyAfterHealing(long seed) {
        SimCluster cluster = SimCluster.of(4, 2, seed);
        assertAllCompleted(cluster, submit(cluster, 2, 5, "before"), 60_000);
        cluster.crash(3);
        List<CompletableFuture<byte[]>> waiting = submit(cluster, 2, 5, "during");
        cluster.network().isolate(0, 1, 2);
        cluster.network().runFor(100_000); // 100 s with every link down (clients give up after 120 s)
        for (int r = 0; r < 3; r++) {
            assertTrue(cluster.replica(r).status().view() <= 2,
                    "an isolated replica waits for 2f+1 view changes before timing out again, view "
                            + cluster.replica(r).status().view());
        }
        cluster.network().heal();
        long healedAt = cluster.network().now();
        assertAllCompleted(cluster, waiting, 60_000);
        assertTrue(cluster.network().now() - healedAt < 15_000, "progress resumes soon after healing");
        assertConverged(cluster, 20, 0, 1, 2);
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {41})
    void moreThanFFaultyReplicasStopProgressWithoutBreakingSafetyOrHanging(long seed) {
        SimCluster cluster = SimCluster.of(4, 1, seed);
        assertAllCompleted(cluster, submit(cluster, 1, 5, "ok"), 30_000);
        cluster.crash(2);
        cluster.crash(3); // f+1 = 2 faults: out of scope for liveness
        List<CompletableFuture<byte[]>> stuck = submit(cluster, 1, 5, "stuck");
        boolean done = cluster.awaitAll(stuck, 20_000);
        assertTrue(!done, "no quorum, no commit");
        assertEquals(List.of(), cluster.violations());
        assertEquals(5, cluster.app(0).count(), "nothing executed without a quorum");
    }
}

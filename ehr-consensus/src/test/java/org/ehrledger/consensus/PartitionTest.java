package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.assertConverged;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionTest {

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {111, 112, 113})
    void minorityPartitionCannotCommitAndCatchesUpAfterHealing(long seed) {
        SimCluster cluster = SimCluster.of(4, 2, seed);
        cluster.network().delays(1, 10);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "start"), 60_000);

        // Replica 3 alone on the far side: the majority side keeps committing, replica 3 cannot.
        cluster.network().partition(Set.of(3));
        long isolatedAt = cluster.replica(3).status().lastExecuted();
        for (int round = 0; round < 6; round++) {
            assertAllCompleted(cluster, submit(cluster, 2, 10, "majority-" + round), 60_000);
        }
        assertEquals(isolatedAt, cluster.replica(3).status().lastExecuted(), "isolated replica committed nothing");
        assertTrue(cluster.replica(0).status().stableCheckpoint() > isolatedAt, "the majority moved past a checkpoint");

        // Two against two: no side has 2f+1 = 3 replicas, so nothing commits anywhere.
        cluster.network().heal();
        cluster.network().partition(Set.of(2, 3));
        long[] before = cluster.statuses().stream().mapToLong(s -> s.lastExecuted()).toArray();
        List<CompletableFuture<byte[]>> blocked = submit(cluster, 2, 5, "split");
        assertFalse(cluster.awaitAll(blocked, 5_000), "no quorum on either side");
        long[] during = cluster.statuses().stream().mapToLong(s -> s.lastExecuted()).toArray();
        for (int r = 0; r < 4; r++) {
            assertTrue(during[r] <= Math.max(before[0], before[1]), "replica " + r + " executed without a quorum");
        }

        cluster.network().heal();
        assertAllCompleted(cluster, blocked, 120_000);
        assertConverged(cluster, 20 + 120 + 10, Scenarios.all(cluster));
    }
}

package org.ehrledger.consensus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NormalOperationTest {

    static List<CompletableFuture<byte[]>> submitMany(SimCluster cluster, int clients, int perClient) {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < perClient; i++) {
            for (int c = 0; c < clients; c++) {
                futures.add(cluster.submit(c, ("op-" + c + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return futures;
    }

    @ParameterizedTest(name = "n={0} loss={1} seed={2} bundled={3}")
    @CsvSource({"4, 0.0, 1, false", "4, 0.05, 2, false", "7, 0.0, 3, false", "7, 0.05, 4, false",
        "4, 0.05, 5, true", "7, 0.05, 6, true"})
    void everyRequestCommitsOnEveryReplicaInTheSameOrderUnderLossAndReordering(int n, double loss, long seed,
                                                                              boolean bundled) {
        SimCluster cluster = new SimCluster(n, 3, seed, SimCluster.simulationSettings(), 32, null,
                bundled ? SimCluster.bundledClients() : SimCluster.unbundledClients());
        cluster.network().delays(1, 20).loss(loss).duplication(0.02);
        List<CompletableFuture<byte[]>> futures = submitMany(cluster, 3, 40);

        assertTrue(cluster.awaitAll(futures, 60_000), "all 120 requests complete");
        int[] all = java.util.stream.IntStream.range(0, n).toArray();
        assertTrue(cluster.network().runUntil(() -> cluster.converged(all), 30_000), "replicas converge");

        assertEquals(List.of(), cluster.violations());
        assertEquals(120, cluster.app(0).count(), "each request executed exactly once");
        for (int r = 1; r < n; r++) {
            assertEquals(cluster.app(0).chain(), cluster.app(r).chain(), "replica " + r + " state");
        }
        // Each result is the chain value after its operation: all distinct, each vouched for by f+1 replicas.
        java.util.Set<String> distinct = new java.util.HashSet<>();
        futures.forEach(f -> distinct.add(java.util.HexFormat.of().formatHex(f.join())));
        assertEquals(120, distinct.size(), "one distinct result per operation");
        assertTrue(cluster.statuses().get(0).stableCheckpoint() > 0, "checkpoints became stable");
        assertArrayEquals(cluster.app(0).chain().bytes(), cluster.app(n - 1).chain().bytes());
    }
}

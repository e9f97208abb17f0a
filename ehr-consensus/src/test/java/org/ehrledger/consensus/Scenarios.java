package org.ehrledger.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.ehrledger.consensus.testfwk.SimCluster;

/** Helpers shared by the scenario tests. */
final class Scenarios {

    private Scenarios() {
    }

    /** Submits {@code perClient} operations from each of the first {@code clients} clients. */
    static List<CompletableFuture<byte[]>> submit(SimCluster cluster, int clients, int perClient, String tag) {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < perClient; i++) {
            for (int c = 0; c < clients; c++) {
                futures.add(cluster.submit(c, (tag + "-" + c + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return futures;
    }

    /** Asserts that every future completed normally. */
    static void assertAllCompleted(SimCluster cluster, List<CompletableFuture<byte[]>> futures, long maxMillis) {
        boolean done = cluster.awaitAll(futures, maxMillis);
        assertTrue(done, "all " + futures.size() + " requests complete; statuses " + cluster.statuses());
        futures.forEach(CompletableFuture::join);
    }

    /** Runs until the given replicas converge, then asserts identical state and no safety violation. */
    static void assertConverged(SimCluster cluster, long expectedRequests, int... replicas) {
        assertTrue(cluster.network().runUntil(() -> cluster.converged(replicas), 60_000),
                "replicas converge; statuses " + cluster.statuses());
        assertEquals(List.of(), cluster.violations(), "safety violations");
        for (int r : replicas) {
            assertEquals(expectedRequests, cluster.app(r).count(), "replica " + r + " executed each request once");
            assertEquals(cluster.app(replicas[0]).chain(), cluster.app(r).chain(), "replica " + r + " state digest");
        }
    }

    static int[] all(SimCluster cluster) {
        return IntStream.range(0, cluster.config().n()).toArray();
    }

    static int[] except(SimCluster cluster, int... excluded) {
        return IntStream.range(0, cluster.config().n()).filter(i -> IntStream.of(excluded).noneMatch(x -> x == i))
                .toArray();
    }
}

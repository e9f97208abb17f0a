package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;

/** A replica whose process was paused (SIGSTOP, a long GC, a starved host) and then resumes. */
class PauseTest {

    @Test
    void aBackupResumingFromALongPauseCatchesUpWithoutSuspectingTheCorrectPrimary() {
        SimCluster cluster = SimCluster.of(4, 3, 808);
        cluster.network().delays(1, 6);
        assertAllCompleted(cluster, submit(cluster, 3, 5, "before"), 30_000);

        // Paused under load: it has seen requests that it has not yet seen executed.
        var inFlight = submit(cluster, 3, 5, "in-flight");
        cluster.network().runFor(8);
        cluster.network().pause(2);
        assertAllCompleted(cluster, inFlight, 30_000);
        for (int round = 0; round < 10; round++) {
            // The other three go on; replica 2's view-change timeout passes many times over while it sleeps.
            assertAllCompleted(cluster, submit(cluster, 3, 3, "paused-" + round), 30_000);
            cluster.network().runFor(300);
        }
        cluster.network().resume(2);
        assertAllCompleted(cluster, submit(cluster, 3, 5, "after"), 30_000);
        Scenarios.assertConverged(cluster, 15 + 15 + 90 + 15, Scenarios.all(cluster));
        for (int r = 0; r < 4; r++) {
            assertEquals(0, cluster.replica(r).status().view(), "replica " + r + " stays in view 0: " + cluster.statuses());
            assertFalse(cluster.replica(r).status().viewChangeInProgress(), "replica " + r);
        }
    }
}

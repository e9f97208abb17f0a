package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.assertConverged;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.log.FileConsensusLog;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RestartTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {121, 122})
    void replicaRestartedFromItsDurableLogCatchesUpThroughStateTransfer(long seed) {
        SimCluster cluster = new SimCluster(4, 2, seed, SimCluster.simulationSettings(), 32,
                i -> new FileConsensusLog(dir.resolve("seed-" + seed).resolve("replica-" + i + ".wal"), false));
        cluster.network().delays(1, 10).loss(0.01);
        assertAllCompleted(cluster, submit(cluster, 2, 15, "before"), 60_000);
        long executedAtCrash = cluster.replica(2).status().lastExecuted();

        cluster.crash(2);
        for (int round = 0; round < 8; round++) {
            assertAllCompleted(cluster, submit(cluster, 2, 10, "while-down-" + round), 60_000);
        }
        assertTrue(cluster.replica(0).status().stableCheckpoint() > executedAtCrash + 8,
                "the others moved past checkpoints the crashed replica never saw");

        cluster.restart(2); // same log file, empty application
        assertEquals(executedAtCrash, cluster.replica(2).status().lastExecuted(),
                "the restarted replica rebuilt its state from its own log first");
        assertAllCompleted(cluster, submit(cluster, 2, 5, "after"), 60_000);
        assertConverged(cluster, 30 + 160 + 10, Scenarios.all(cluster));
        assertFalse(cluster.replica(2).status().stateTransfer());
    }

    @Test
    void wholeClusterRestartedFromItsLogsKeepsEveryAcknowledgedRequest() {
        SimCluster cluster = new SimCluster(4, 2, 131, SimCluster.simulationSettings(), 32,
                i -> new FileConsensusLog(dir.resolve("all").resolve("replica-" + i + ".wal"), false));
        cluster.network().delays(1, 10);
        for (int round = 0; round < 5; round++) {
            assertAllCompleted(cluster, submit(cluster, 2, 10, "r" + round), 60_000);
        }
        assertConverged(cluster, 100, Scenarios.all(cluster));
        Digest chain = cluster.app(0).chain();
        long executed = cluster.replica(0).status().lastExecuted();

        for (int r = 0; r < 4; r++) {
            cluster.crash(r);
        }
        for (int r = 0; r < 4; r++) {
            cluster.restart(r);
        }
        for (int r = 0; r < 4; r++) {
            assertEquals(executed, cluster.replica(r).status().lastExecuted(), "replica " + r + " recovered its sequence");
            assertEquals(chain, cluster.app(r).chain(), "replica " + r + " recovered its state from snapshot + log");
        }
        assertAllCompleted(cluster, submit(cluster, 2, 10, "after-restart"), 60_000);
        assertConverged(cluster, 120, Scenarios.all(cluster));
        for (int r = 0; r < 4; r++) {
            assertFalse(cluster.replica(r).status().stateTransfer(), "nobody is ahead, so nobody waits for state");
            assertEquals(0, cluster.replica(r).status().view(), "a clean restart needs no view change");
        }
    }

    @Test
    void restartedPrimaryRejoinsAsBackupWithoutContradictingItself() {
        SimCluster cluster = SimCluster.of(4, 2, 141);
        cluster.network().delays(1, 10);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "a"), 60_000);
        cluster.crash(0);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "b"), 120_000);
        cluster.restart(0);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "c"), 60_000);
        assertConverged(cluster, 60, Scenarios.all(cluster));
        assertTrue(cluster.replica(0).status().view() >= 1, "the old primary learned the new view");
    }
}

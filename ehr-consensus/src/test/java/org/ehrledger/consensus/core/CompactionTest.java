package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;

/** Compaction rewrites the log as the records that reproduce the state, in an order replay understands. */
class CompactionTest {

    @Test
    void aReplicaThatCommittedInAnOldViewStillCommitsTheReProposalAfterCompactionAndRestart() {
        SimCluster cluster = SimCluster.of(4, 1, 515);
        cluster.network().delays(1, 5);
        AtomicBoolean dropView0Commits = new AtomicBoolean(true);
        AtomicBoolean starveReplica2 = new AtomicBoolean(false);
        AtomicBoolean replica2CommittedInView1 = new AtomicBoolean(false);
        cluster.network().addInterceptor((from, to, frame) -> {
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (m instanceof Commit c && c.view() == 0 && dropView0Commits.get()) {
                return List.of(); // everyone commits sequence 1 in view 0, nobody learns it
            }
            if (m instanceof Prepare p && p.view() == 1 && to == 2 && starveReplica2.get()) {
                return List.of();
            }
            if (m instanceof Commit c && c.view() == 1 && c.replica() == 2) {
                replica2CommittedInView1.set(true);
            }
            return List.of(frame);
        });
        CompletableFuture<byte[]> request = cluster.submit(0, "admit patient".getBytes(StandardCharsets.UTF_8));
        cluster.network().runFor(200);
        assertEquals(0, cluster.replica(1).status().lastExecuted(), "no commit arrived in view 0");

        // The primary crashes; view 1 re-proposes sequence 1. Replica 2 accepts it but misses the prepares.
        starveReplica2.set(true);
        cluster.crash(0);
        assertTrue(cluster.network().runUntil(() -> cluster.statuses().stream().skip(1)
                .allMatch(s -> s.view() == 1 && !s.viewChangeInProgress()), 30_000), "view 1: " + cluster.statuses());
        cluster.network().runFor(50);

        // Replica 2 compacts its log (as at a stable checkpoint), crashes and restarts from it.
        cluster.replica(2).compactLog();
        cluster.crash(2);
        cluster.restart(2);
        starveReplica2.set(false);

        assertTrue(cluster.network().runUntil(request::isDone, 30_000), "the request completes");
        assertTrue(replica2CommittedInView1.get(), "replica 2 committed the re-proposal of view 1");
        for (int r = 1; r < 4; r++) {
            assertEquals(1, cluster.replica(r).status().view(), "no further view change was needed at " + r);
        }
        assertEquals(List.of(), cluster.violations());
    }
}

package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;

/**
 * The Byzantine new primary of issue 12: it builds a valid NEW-VIEW whose checkpoint (min-s) lies above
 * the stable checkpoint of two correct replicas, then pre-prepares a different batch for a sequence
 * below min-s that the others already executed. Before the fix a correct replica executed it.
 */
class NewViewSafetyTest {

    private static final int CLIENT = 1024;

    @Test
    void aByzantineNewPrimaryCannotReassignASequenceBelowTheCheckpointOfItsNewView() {
        SimCluster cluster = SimCluster.of(4, 1, 4_242);
        cluster.network().delays(1, 5);
        Map<Long, Batch> proposedInView0 = new ConcurrentHashMap<>();
        int[] phase = {1};
        cluster.network().addInterceptor((from, to, frame) -> {
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (from == 0 && m instanceof PrePrepare pp && pp.batch() != null) {
                proposedInView0.putIfAbsent(pp.sequence(), pp.batch());
            }
            boolean replicaLink = from < CLIENT && to < CLIENT;
            // Replica 2 never learns of a checkpoint: its stable checkpoint stays at 0 while it executes 1-8.
            if (to == 2 && (m instanceof Checkpoint || m instanceof StateResponse)) {
                return List.of();
            }
            if (phase[0] == 1 && (from == 3 || to == 3) && replicaLink) {
                return List.of(); // replica 3 is cut off
            }
            if (phase[0] == 2) {
                if ((from == 0 || to == 0) && replicaLink) {
                    return List.of(); // replica 0 is slow: nothing of it arrives in time
                }
                if (to == 3 && !(m instanceof ViewChange || m instanceof NewView || m instanceof PrePrepare
                        || m instanceof Prepare || m instanceof Commit) && replicaLink) {
                    return List.of(); // replica 3 hears of no checkpoint or state in time either
                }
            }
            return List.of(frame);
        });

        // View 0: replicas 0-2 execute sequences 1-8, one request per batch.
        for (int i = 0; i < 8; i++) {
            assertAllCompleted(cluster, List.of(cluster.submit(0, ("before-" + i).getBytes(StandardCharsets.UTF_8))),
                    30_000);
        }
        assertTrue(cluster.network().runUntil(() -> cluster.replica(0).status().stableCheckpoint() == 8
                && cluster.replica(1).status().stableCheckpoint() == 8, 10_000), "replicas 0 and 1 stable at 8");
        assertEquals(8, cluster.replica(2).status().lastExecuted());
        assertEquals(0, cluster.replica(2).status().stableCheckpoint(), "replica 2 missed every checkpoint");
        assertEquals(0, cluster.replica(3).status().lastExecuted(), "replica 3 was cut off");

        // Replica 0 turns slow; a new request times out at replicas 1-3, which move to view 1 (primary 1).
        phase[0] = 2;
        CompletableFuture<byte[]> after = cluster.submit(0, "after".getBytes(StandardCharsets.UTF_8));
        assertTrue(cluster.network().runUntil(() -> cluster.statuses().stream().skip(1)
                .allMatch(s -> s.view() == 1 && !s.viewChangeInProgress()), 30_000),
                "replicas 1-3 entered view 1: " + cluster.statuses());

        // The Byzantine primary 1 proposes, in view 1, a different batch for sequence 1: a real client
        // request that executed at sequence 2. It adds its own commit to speed things up.
        NodeCrypto byzantine = cluster.cryptoOf(1);
        Batch forged = new Batch(cluster.network().now(), proposedInView0.get(2L).requests());
        Digest d = forged.digest();
        assertTrue(!d.equals(cluster.executedAt(0, 1)), "the forged batch differs from what executed at 1");
        PrePrepare pp = new PrePrepare(1, 1, d, byzantine.sign(PrePrepare.signedBytes(1, 1, d)), forged);
        Commit commit = new Commit(1, 1, d, 1, byzantine.sign(Commit.signedBytes(1, 1, d, 1)));
        for (int victim : new int[] {2, 3}) {
            cluster.network().transport(1).send(victim, Envelope.seal(byzantine, pp).to(victim));
            cluster.network().transport(1).send(victim, Envelope.seal(byzantine, commit).to(victim));
        }
        cluster.network().runFor(2_000);
        assertEquals(List.of(), cluster.violations(), "no correct replica executes another batch at sequence 1");

        // Once the network heals, everyone converges on the history of view 0 plus the new request.
        cluster.network().clearInterceptors();
        assertAllCompleted(cluster, List.of(after), 60_000);
        Scenarios.assertConverged(cluster, 9, Scenarios.all(cluster));
        for (int r = 0; r < 4; r++) {
            Digest executed = cluster.executedAt(r, 1);
            assertTrue(executed == null || executed.equals(cluster.executedAt(0, 1)), "replica " + r + " sequence 1");
        }
    }
}

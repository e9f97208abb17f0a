package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.BatchContent;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A new view re-proposes the batches prepared in earlier views with the timestamps they were proposed
 * with. A replica that was down while they were proposed, and restarts once they are older than
 * {@code maxClockSkewMillis} by its clock, must still prepare and commit them: here the others cannot
 * commit without it.
 */
class ReProposalTest {

    /** Short enough that the simulation outlives it by far; the check is the same at 120 s. */
    static final long SKEW_MILLIS = 3_000;
    private static final int CLIENTS = 2;

    static ReplicaSettings settings() {
        return ReplicaSettings.builder().maxBatchRequests(16).maxBatchBytes(1 << 20).batchDelayMillis(2)
                .maxInFlightBatches(4).viewChangeTimeoutMillis(400).maxViewChangeTimeoutMillis(2_000)
                .stateTransferRetryMillis(100).maxClockSkewMillis(SKEW_MILLIS).maxPendingRequests(10_000)
                .maxPendingBytes(64L << 20).replyCacheSize(64).build();
    }

    private static boolean between(int from, int to) {
        return from < SimCluster.TWIN_BASE && to < SimCluster.TWIN_BASE;
    }

    /**
     * Replica 3 is down while replicas 0-2 prepare eight requests whose commits never arrive (they go round
     * the views, re-proposed each time). Minutes later in batch-timestamp terms, replica 0 fails and replica 3
     * restarts: replicas 1-3 are the only quorum, so the re-proposals commit only if replica 3 accepts them.
     * With {@code contentOnlyWithThePrePrepare}, replica 3 gets no fetched batch content, only the primary's
     * retransmitted pre-prepares (which carry it).
     */
    @ParameterizedTest(name = "seed={0} contentOnlyWithThePrePrepare={1}")
    @CsvSource({"7001, false", "7003, true"})
    void aRestartedReplicaPreparesAndExecutesTheNewViewsReProposalsOfBatchesOlderThanTheClockSkew(
            long seed, boolean contentOnlyWithThePrePrepare) {
        SimCluster cluster = new SimCluster(4, CLIENTS, seed, settings(), 32);
        cluster.network().delays(1, 8);
        List<CompletableFuture<byte[]>> warm = submit(cluster, "warm", 8);
        assertTrue(cluster.awaitAll(warm, 30_000), "warm-up commits: " + cluster.statuses());
        assertTrue(cluster.network().runUntil(() -> cluster.converged(0, 1, 2, 3), 10_000), "all caught up");
        long warmExecuted = cluster.replica(3).status().lastExecuted();

        // Replica 3 goes down; the others prepare the next requests but every commit is lost.
        cluster.crash(3);
        boolean[] commitsLost = {true};
        Map<Long, Long> proposedAt = new ConcurrentHashMap<>();
        Map<Long, Digest> proposed = new ConcurrentHashMap<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            if (!between(from, to)) {
                return List.of(frame);
            }
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (m instanceof PrePrepare pp && pp.batch() != null && !pp.batch().isEmpty()) {
                proposedAt.putIfAbsent(pp.sequence(), pp.batch().timestamp());
                proposed.putIfAbsent(pp.sequence(), pp.digest());
            }
            if (commitsLost[0] && m instanceof Commit) {
                return List.of();
            }
            if (contentOnlyWithThePrePrepare && to == 3 && m instanceof BatchContent) {
                return List.of();
            }
            return List.of(frame);
        });
        List<CompletableFuture<byte[]>> stuck = submit(cluster, "stuck", 4);
        assertTrue(cluster.network().runUntil(() -> proposed.keySet().stream().anyMatch(s -> s > warmExecuted),
                5_000), "the primary proposed the new requests");
        cluster.network().runFor(3 * SKEW_MILLIS);
        assertTrue(stuck.stream().noneMatch(CompletableFuture::isDone), "nothing commits without commits");
        for (int r = 0; r < 3; r++) {
            assertEquals(warmExecuted, cluster.replica(r).status().lastExecuted(), "replica " + r);
        }
        assertTrue(cluster.replica(1).status().view() > 0, "the prepared batches went through view changes");

        // Replica 0 fails and replica 3 restarts: replicas 1-3 must commit the re-proposals together.
        commitsLost[0] = false;
        cluster.crash(0);
        cluster.restart(3);
        long restartedAt = cluster.network().now();
        TreeMap<Long, Long> old = new TreeMap<>();
        proposedAt.forEach((seq, ts) -> {
            if (seq > warmExecuted && restartedAt - ts > SKEW_MILLIS) {
                old.put(seq, ts);
            }
        });
        assertTrue(!old.isEmpty(), "some prepared batches are older than the skew by the rejoiner's clock");

        assertTrue(cluster.awaitAll(stuck, 60_000), "the re-proposed requests commit: " + cluster.statuses());
        stuck.forEach(CompletableFuture::join);
        assertTrue(cluster.network().runUntil(() -> cluster.converged(1, 2, 3), 30_000),
                "replicas 1-3 converge: " + cluster.statuses());
        assertEquals(List.of(), cluster.violations());
        long expected = warm.size() + stuck.size();
        for (int r = 1; r <= 3; r++) {
            assertEquals(expected, cluster.app(r).count(), "replica " + r + " executed every request once");
            assertEquals(cluster.app(1).chain(), cluster.app(r).chain(), "replica " + r + " holds the same chain");
        }
        for (long seq : old.keySet()) {
            assertNotNull(cluster.executedAt(3, seq), "the restarted replica itself executed sequence " + seq
                    + " (proposed " + (restartedAt - old.get(seq)) + " ms before it restarted)");
            assertEquals(cluster.executedAt(1, seq), cluster.executedAt(3, seq), "sequence " + seq);
        }
    }

    /**
     * The negative: replica 1, Byzantine, becomes primary of view 1 with a new view that re-proposes batches
     * prepared in view 0, and signs every new proposal with a timestamp far from the clock (the requests are
     * real). The re-proposals commit; no correct replica prepares, commits or executes a forged batch, and
     * the requests commit once view 2's correct primary proposes them.
     */
    @Test
    void aByzantineNewPrimaryCannotPassOffANewBatchWithABogusTimestampAsAReProposal() {
        SimCluster cluster = new SimCluster(4, CLIENTS, 7101, settings(), 32);
        cluster.network().delays(1, 8);
        int byzantine = 1;
        cluster.markFaulty(byzantine);
        NodeCrypto own = cluster.cryptoOf(byzantine);
        long bogus = 30 * SKEW_MILLIS;
        boolean[] commitsLost = {true};
        Map<Long, Digest> reProposed = new ConcurrentHashMap<>();
        Map<String, Batch> forged = new ConcurrentHashMap<>();
        Map<Digest, Long> forgedDigests = new ConcurrentHashMap<>();
        List<String> vouched = new ArrayList<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            if (!between(from, to)) {
                return List.of(frame);
            }
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (from == byzantine && m instanceof NewView nv) {
                commitsLost[0] = false; // view 0's prepared batches are re-proposed: let them commit
                reProposed.clear();
                nv.prePrepares().forEach(pp -> reProposed.put(pp.sequence(), pp.digest()));
            }
            if (commitsLost[0] && m instanceof Commit) {
                return List.of();
            }
            if (from == byzantine && m instanceof PrePrepare pp && pp.batch() != null
                    && !pp.digest().equals(reProposed.get(pp.sequence()))) {
                Batch b = forged.computeIfAbsent(pp.view() + "/" + pp.sequence(), k -> new Batch(
                        cluster.network().now() + (pp.sequence() % 2 == 0 ? bogus : -bogus), pp.batch().requests()));
                forgedDigests.put(b.digest(), pp.sequence());
                PrePrepare lie = new PrePrepare(pp.view(), pp.sequence(), b.digest(),
                        own.sign(PrePrepare.signedBytes(pp.view(), pp.sequence(), b.digest())), b);
                return List.of(Envelope.seal(own, lie).to(to));
            }
            if (from != byzantine && ((m instanceof Prepare p && forgedDigests.containsKey(p.digest()))
                    || (m instanceof Commit c && forgedDigests.containsKey(c.digest())))) {
                vouched.add("replica " + from + " vouched for a forged batch: " + m);
            }
            return List.of(frame);
        });

        // View 0: batches prepare at every replica, but their commits are lost; the backups move to view 1.
        List<CompletableFuture<byte[]>> prepared = submit(cluster, "prepared", 4);
        assertTrue(cluster.network().runUntil(() -> !reProposed.isEmpty(), 10_000),
                "replica 1 announced view 1, re-proposing batches: " + cluster.statuses());
        assertTrue(cluster.awaitAll(prepared, 30_000), "the re-proposals commit: " + cluster.statuses());
        List<Long> reProposedSequences = List.copyOf(reProposed.keySet());

        // Then replica 1 proposes the next requests in forged batches.
        List<CompletableFuture<byte[]>> later = submit(cluster, "later", 4);
        assertTrue(cluster.awaitAll(later, 60_000), "the requests commit in a later view: " + cluster.statuses());
        later.forEach(CompletableFuture::join);

        assertTrue(!forgedDigests.isEmpty(), "replica 1 did propose forged batches");
        assertEquals(List.of(), vouched, "no correct replica prepared or committed a forged batch");
        int[] correct = {0, 2, 3};
        assertTrue(cluster.network().runUntil(() -> cluster.converged(correct), 30_000),
                "the correct replicas converge: " + cluster.statuses());
        assertEquals(List.of(), cluster.violations());
        for (int r : correct) {
            assertTrue(cluster.replica(r).status().view() >= 2, "replica " + r + " left replica 1's view");
            assertEquals(prepared.size() + later.size(), cluster.app(r).count(), "replica " + r);
            for (long seq = 1; seq <= cluster.replica(r).status().lastExecuted(); seq++) {
                Digest d = cluster.executedAt(r, seq);
                assertTrue(d == null || !forgedDigests.containsKey(d), "replica " + r + " executed a forged batch");
            }
            for (long seq : reProposedSequences) {
                assertNotNull(cluster.executedAt(r, seq), "replica " + r + " executed re-proposed " + seq);
            }
        }
    }

    private static List<CompletableFuture<byte[]>> submit(SimCluster cluster, String tag, int perClient) {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < perClient; i++) {
            for (int c = 0; c < CLIENTS; c++) {
                futures.add(cluster.submit(c, (tag + "-" + c + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return futures;
    }
}

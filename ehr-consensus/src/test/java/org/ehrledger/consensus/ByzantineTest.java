package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.assertConverged;
import static org.ehrledger.consensus.Scenarios.except;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.testfwk.Byzantine;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByzantineTest {

    private static long rejectedTotal(SimCluster cluster) {
        return cluster.statuses().stream().mapToLong(s -> s.rejectedMessages()).sum();
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {51, 52, 53})
    void primaryThatEquivocatesIsReplacedAndCorrectReplicasNeverDiverge(long seed) {
        SimCluster cluster = SimCluster.of(4, 3, seed);
        cluster.network().delays(1, 10);
        // Backups 2 and 3 each get their own variant of every batch; backup 1 gets the original.
        cluster.network().addInterceptor(Byzantine.equivocatingPrimary(cluster, 0, Set.of(2, 3)));
        List<CompletableFuture<byte[]>> futures = submit(cluster, 3, 20, "eq");
        assertAllCompleted(cluster, futures, 120_000);
        assertConverged(cluster, 60, except(cluster, 0));
        for (int r : except(cluster, 0)) {
            assertTrue(cluster.replica(r).status().view() >= 1, "the equivocating primary was replaced");
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {4, 7})
    void equivocationToHalfTheBackupsCannotCommitTwoBatchesAtOneSequence(int n) {
        SimCluster cluster = SimCluster.of(n, 2, 60 + n);
        cluster.network().delays(1, 10).loss(0.02);
        Set<Integer> victims = new java.util.HashSet<>();
        for (int r = 1 + (n - 1) / 2; r < n; r++) {
            victims.add(r);
        }
        cluster.network().addInterceptor(Byzantine.equivocatingPrimary(cluster, 0, victims));
        assertAllCompleted(cluster, submit(cluster, 2, 15, "half"), 120_000);
        assertConverged(cluster, 30, except(cluster, 0));
    }

    @Test
    void lyingReplicaCannotChangeWhatClientsAcceptNorWhichCheckpointsBecomeStable() {
        SimCluster cluster = SimCluster.of(4, 2, 71);
        cluster.network().delays(1, 8);
        Map<String, byte[]> honestResults = new HashMap<>();
        // Record what an honest replica (1) answered, to compare with what clients accepted.
        cluster.network().addInterceptor((from, to, frame) -> {
            if (from == 1 && to >= 1024) {
                Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
                if (m instanceof ReplyBatch rb) {
                    rb.replies().forEach(r -> honestResults.put(to + "/" + r.timestamp(),
                            org.ehrledger.consensus.message.Results.decode(r.result()).get(0)));
                }
            }
            return List.of(frame);
        });
        cluster.network().addInterceptor(Byzantine.lyingReplies(cluster, 3));
        cluster.network().addInterceptor(Byzantine.lyingCheckpoints(cluster, 3));
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            List<CompletableFuture<byte[]>> wave = submit(cluster, 2, 5, "lie-" + round);
            assertAllCompleted(cluster, wave, 60_000);
            futures.addAll(wave);
        }
        assertConverged(cluster, 60, 0, 1, 2);
        assertTrue(cluster.replica(0).status().lastExecuted() >= 8, "enough batches for a checkpoint");
        // Every accepted result is one an honest replica returned (the liar's results differ in byte 0).
        for (CompletableFuture<byte[]> f : futures) {
            byte[] accepted = f.join();
            assertTrue(honestResults.values().stream().anyMatch(h -> java.util.Arrays.equals(h, accepted)),
                    "accepted result comes from honest replicas");
        }
        assertTrue(cluster.replica(0).status().stableCheckpoint() > 0, "checkpoints stabilise without the liar");
    }

    @Test
    void forgedRelayedAndMisdirectedMessagesAreIgnored() {
        SimCluster cluster = SimCluster.of(4, 1, 81);
        NodeCrypto byzantine = cluster.cryptoOf(3);
        List<byte[]> forgeries = new ArrayList<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            if (from != 1 || to == 3) {
                return List.of(frame);
            }
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            List<byte[]> out = new ArrayList<>(List.of(frame));
            if (m instanceof Prepare p) {
                // Replica 3 relays replica 1's prepare as its own sender: signature is 1's, sender is 3.
                out.add(Envelope.seal(byzantine, p).to(to));
                // Replica 3 forges a commit in replica 1's name with its own signature.
                Commit forged = new Commit(p.view(), p.sequence(), Digest.sha256(new byte[] {1}), 1,
                        byzantine.sign(Commit.signedBytes(p.view(), p.sequence(), Digest.sha256(new byte[] {1}), 1)));
                out.add(Envelope.seal(byzantine, forged).to(to));
                // Replica 3 pretends to be the primary.
                PrePrepare fake = new PrePrepare(p.view(), p.sequence() + 1, p.digest(),
                        byzantine.sign(PrePrepare.signedBytes(p.view(), p.sequence() + 1, p.digest())), null);
                out.add(Envelope.seal(byzantine, fake).to(to));
                // A frame whose bytes were altered in transit fails its MAC.
                byte[] tampered = frame.clone();
                tampered[tampered.length / 2] ^= 1;
                out.add(tampered);
                forgeries.add(tampered);
            }
            return out;
        });
        assertAllCompleted(cluster, submit(cluster, 1, 30, "forged"), 60_000);
        assertConverged(cluster, 30, 0, 1, 2);
        assertFalse(forgeries.isEmpty());
        assertTrue(rejectedTotal(cluster) >= 4L * forgeries.size(),
                "every forgery was rejected: " + rejectedTotal(cluster) + " for " + forgeries.size() + " rounds");
        assertEquals(0, cluster.replica(0).status().view(), "forgeries did not provoke a view change");
    }

    @Test
    void aPrimaryReplayingAnExecutedRequestInLaterBatchesCannotExecuteItTwice() {
        SimCluster cluster = SimCluster.of(4, 2, 97);
        cluster.network().addInterceptor(Byzantine.replayingPrimary(cluster, 0));
        for (int round = 0; round < 4; round++) {
            assertAllCompleted(cluster, submit(cluster, 2, 5, "r" + round), 60_000);
        }
        // The replayed request sits in committed batches, yet each replica executed each request once.
        assertConverged(cluster, 40, Scenarios.all(cluster));
        assertTrue(cluster.replica(1).status().lastExecuted() >= 4, "several batches carried the replay");
    }

    @Test
    void aByzantineReplicaClaimingToBeFarAheadCannotStallThePrimary() {
        SimCluster cluster = SimCluster.of(4, 2, 95);
        NodeCrypto liar = cluster.cryptoOf(3);
        // Replica 3 keeps announcing signed commits far above everybody's high watermark.
        cluster.network().addInterceptor((from, to, frame) -> {
            if (from != 3 || to >= 1024) {
                return List.of(frame);
            }
            long far = cluster.replica(0).status().stableCheckpoint() + 1_000;
            Digest d = Digest.sha256(new byte[] {9});
            Commit bogus = new Commit(0, far, d, 3, liar.sign(Commit.signedBytes(0, far, d, 3)));
            return List.of(frame, Envelope.seal(liar, bogus).to(to));
        });
        for (int round = 0; round < 5; round++) {
            assertAllCompleted(cluster, submit(cluster, 2, 10, "r" + round), 60_000);
        }
        assertConverged(cluster, 100, 0, 1, 2);
        for (int r = 0; r < 3; r++) {
            assertFalse(cluster.replica(r).status().stateTransfer(), "one replica's claim is no evidence");
            assertEquals(0, cluster.replica(r).status().view(), "no view change was needed");
        }
    }

    @Test
    void replayedRequestsAndOldViewMessagesDoNotExecuteAnythingTwice() {
        SimCluster cluster = SimCluster.of(4, 2, 91);
        List<int[]> routes = new ArrayList<>();
        List<byte[]> recorded = new ArrayList<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (m instanceof Request || m instanceof PrePrepare || m instanceof Prepare || m instanceof Commit) {
                routes.add(new int[] {from, to});
                recorded.add(frame);
            }
            return List.of(frame);
        });
        assertAllCompleted(cluster, submit(cluster, 2, 20, "orig"), 60_000);
        cluster.network().clearInterceptors();
        long executedBefore = cluster.replica(1).status().lastExecuted();

        // Move to view 1 so that the recorded normal-case traffic belongs to an old view.
        cluster.crash(0);
        assertAllCompleted(cluster, submit(cluster, 2, 5, "after"), 120_000);
        cluster.restart(0);

        // Replay every recorded frame (requests, pre-prepares, prepares, commits) verbatim.
        for (int i = 0; i < recorded.size(); i++) {
            cluster.network().transport(routes.get(i)[0]).send(routes.get(i)[1], recorded.get(i));
        }
        cluster.network().runFor(5_000);
        assertConverged(cluster, 50, 1, 2, 3);
        assertTrue(cluster.replica(1).status().lastExecuted() >= executedBefore);
        assertTrue(cluster.replica(1).status().view() >= 1);
    }

    @Test
    void aClientRevokedByAnOrderedOperationIsRefusedFromTheSameSequenceOnEveryReplica() {
        SimCluster cluster = SimCluster.of(4, 2, 101);
        int revokedClient = cluster.client(1).id();
        assertAllCompleted(cluster, submit(cluster, 2, 5, "admitted"), 30_000);
        byte[] op = org.ehrledger.consensus.testfwk.HashChainApplication.revokeOperation(revokedClient);
        assertAllCompleted(cluster, List.of(cluster.submit(0, op)), 30_000);
        long revokedAt = cluster.app(0).clientRevokedAt(revokedClient);
        assertTrue(revokedAt > 0);
        long effective = revokedAt + cluster.config().watermarkWindow();

        // The primary turns Byzantine: into every batch above the revocation it slips a fresh request of the
        // revoked client (validly signed by that client, whose key the network still knows).
        NodeCrypto revokedKeys = cluster.cryptoOf(revokedClient);
        long[] timestamp = {System.currentTimeMillis()};
        cluster.network().addInterceptor((from, to, frame) -> {
            if (from != 0 || to >= 1024) {
                return List.of(frame);
            }
            Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
            if (!(m instanceof PrePrepare pp) || pp.batch() == null || pp.sequence() <= revokedAt) {
                return List.of(frame);
            }
            byte[] payload = ("smuggled-" + pp.sequence()).getBytes(StandardCharsets.UTF_8);
            long ts = timestamp[0] + pp.sequence();
            Request smuggled = new Request(revokedClient, ts, payload,
                    revokedKeys.sign(Request.signedBytes(revokedClient, ts, payload)));
            List<Request> requests = new ArrayList<>(pp.batch().requests());
            requests.add(smuggled);
            org.ehrledger.consensus.message.Batch b = new org.ehrledger.consensus.message.Batch(pp.batch().timestamp(),
                    requests);
            NodeCrypto primary = cluster.cryptoOf(0);
            PrePrepare forged = new PrePrepare(pp.view(), pp.sequence(), b.digest(),
                    primary.sign(PrePrepare.signedBytes(pp.view(), pp.sequence(), b.digest())), b);
            return List.of(Envelope.seal(primary, forged).to(to));
        });
        CompletableFuture<byte[]> fromRevoked = cluster.submit(1, "from a revoked client".getBytes(StandardCharsets.UTF_8));
        // Enough batches, one at a time, to pass the point where the revocation takes effect.
        for (int i = 0; i < cluster.config().watermarkWindow() + 8; i++) {
            assertAllCompleted(cluster, List.of(cluster.submit(0, ("later-" + i).getBytes(StandardCharsets.UTF_8))),
                    120_000);
        }
        int[] all = Scenarios.all(cluster);
        assertTrue(cluster.network().runUntil(() -> cluster.converged(all), 60_000), "converged " + cluster.statuses());
        assertEquals(List.of(), cluster.violations());
        for (int r : all) {
            assertEquals(revokedAt, cluster.app(r).clientRevokedAt(revokedClient), "replica " + r);
            assertTrue(cluster.app(r).lastSequenceOf(revokedClient) <= effective,
                    "replica " + r + " executed the revoked client's request at "
                            + cluster.app(r).lastSequenceOf(revokedClient) + ", past " + effective);
            assertArrayEquals(cluster.app(0).chain().bytes(), cluster.app(r).chain().bytes());
        }
        assertTrue(cluster.replica(1).status().lastExecuted() > effective, "the order went on past " + effective);
        assertFalse(fromRevoked.isDone() && !fromRevoked.isCompletedExceptionally(), "the revoked client got no result");
    }
}

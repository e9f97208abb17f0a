package org.ehrledger.consensus.core;

import static org.ehrledger.consensus.TestNodes.CLIENT;
import static org.ehrledger.consensus.TestNodes.digestOf;
import static org.ehrledger.consensus.TestNodes.stateAt;
import static org.ehrledger.consensus.TestNodes.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.TestNodes;
import org.ehrledger.consensus.core.MessageValidator;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.FetchBatch;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.StateRequest;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The replica's stateless validation of authenticated messages ({@link MessageValidator#check}) in a
 * cluster of four replicas (f = 1, primary of view v is v mod 4, L = 32).
 */
class MessageValidationTest {

    private final TestNodes t = new TestNodes();
    private final MessageValidator validator = new MessageValidator(t.config, t.directory);

    private String check(int sender, Message m) {
        return validator.check(new Envelope(sender, 3, m));
    }

    private void accepted(int sender, Message m) {
        String problem = check(sender, m);
        assertNull(problem, () -> m + " from " + sender + " was rejected: " + problem);
    }

    private String rejected(int sender, Message m) {
        String problem = check(sender, m);
        assertNotNull(problem, () -> m + " from " + sender + " was accepted");
        return problem;
    }

    private static void mentions(String problem, String fragment) {
        assertTrue(problem.contains(fragment), () -> "'" + problem + "' should mention '" + fragment + "'");
    }

    @Nested
    class Requests {

        @Test
        void aCorrectlySignedRequestFromAnAdmittedClientPasses() {
            Request r = t.request(1, "append record");
            accepted(CLIENT, r);
            accepted(1, r); // a replica relaying a client's request is fine: the client's signature counts
        }

        @Test
        void aRequestFromAClientOutsideTheDirectoryFails() {
            var stranger = t.directory.crypto(CLIENT + 1,
                    org.ehrledger.consensus.crypto.KeyPairs.deterministic(4711));
            byte[] op = utf8("append record");
            Request r = new Request(CLIENT + 1, 1, op, stranger.sign(Request.signedBytes(CLIENT + 1, 1, op)));
            rejected(CLIENT + 1, r);
        }

        @Test
        void aRequestWithAForgedSignatureFails() {
            byte[] op = utf8("op");
            byte[] signedByReplica = t.crypto(1).sign(Request.signedBytes(CLIENT, 1, op));
            rejected(CLIENT, new Request(CLIENT, 1, op, signedByReplica));
            rejected(CLIENT, new Request(CLIENT, 1, op, new byte[64]));
            rejected(CLIENT, new Request(CLIENT, 1, op, new byte[0]));
        }

        @Test
        void aSignatureDoesNotCoverAnAlteredOperationOrTimestamp() {
            Request r = t.request(5, "op");
            rejected(CLIENT, new Request(CLIENT, 5, utf8("oq"), r.signature()));
            rejected(CLIENT, new Request(CLIENT, 6, r.operation(), r.signature()));
            byte[] truncated = java.util.Arrays.copyOf(r.signature(), 63);
            rejected(CLIENT, new Request(CLIENT, 5, r.operation(), truncated));
        }

        @Test
        void aRequestFromAnUnknownClientOrInTheNameOfAReplicaFails() {
            byte[] op = utf8("op");
            rejected(CLIENT, new Request(2000, 1, op, t.client.sign(Request.signedBytes(2000, 1, op))));
            // A replica key cannot issue client requests.
            rejected(1, new Request(1, 1, op, t.crypto(1).sign(Request.signedBytes(1, 1, op))));
        }
    }

    @Nested
    class PrePrepares {

        private final Batch batch = t.batch(100, t.request(1, "a"), t.request(2, "b"));

        @Test
        void aPrePrepareFromThePrimaryWithAMatchingBatchPasses() {
            accepted(0, t.prePrepare(0, 1, batch));
            accepted(1, t.prePrepare(1, 1, batch));
        }

        @Test
        void aNormalCasePrePrepareOfAnEmptyBatchFails() {
            // Only a new view fills a gap, with a digest-only null batch; an empty batch with a timestamp of
            // the primary's choosing could never be fetched or executed.
            mentions(rejected(0, t.prePrepare(4, 7, Batch.NULL)), "empty batch");
            mentions(rejected(0, t.prePrepare(0, 8, new Batch(12345, List.of()))), "empty batch");
        }

        @Test
        void aBatchAboveTheGenesisSizeLimitFails() {
            java.util.List<org.ehrledger.consensus.message.Request> big = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                big.add(t.request(100 + i, "x".repeat(1000 * 1000)));
            }
            mentions(rejected(0, t.prePrepare(0, 9, new Batch(1, big))), "larger than");
        }

        @Test
        void aPrePrepareSignedByANonPrimaryFails() {
            PrePrepare byBackup = t.headerSignedBy(1, 0, 1, batch.digest()).withBatch(batch);
            mentions(rejected(0, byBackup), "signature");
            mentions(rejected(1, byBackup), "not from the primary");
        }

        @Test
        void aPrePrepareSentByAnyoneButThePrimaryOfItsViewFails() {
            PrePrepare pp = t.prePrepare(0, 1, batch);
            rejected(1, pp);
            rejected(CLIENT, pp);
        }

        @Test
        void aPrePrepareWhoseBatchDoesNotMatchItsDigestFails() {
            Batch other = t.batch(100, t.request(1, "a"));
            PrePrepare pp = t.header(0, 1, batch.digest()).withBatch(other);
            mentions(rejected(0, pp), "digest");
        }

        @Test
        void aPrePrepareWithoutItsBatchFails() {
            rejected(0, t.header(0, 1, batch.digest()));
        }

        @Test
        void aPrePrepareForSequenceZeroFails() {
            rejected(0, t.prePrepare(0, 0, batch));
        }

        @Test
        void aPrePrepareCarryingAForgedRevokedOrRepeatedRequestFails() {
            Request good = t.request(1, "a");
            Request forged = new Request(CLIENT, 2, utf8("b"), good.signature());
            rejected(0, t.prePrepare(0, 1, t.batch(1, good, forged)));
            rejected(0, t.prePrepare(0, 1, t.batch(1, good, good)));

            PrePrepare fine = t.prePrepare(0, 1, t.batch(1, good));
            accepted(0, fine);
        }
    }

    @Nested
    class PhaseMessages {

        private final Digest d = digestOf("batch");

        @Test
        void aPrepareFromABackupPassesButNotFromThePrimaryOrRelayed() {
            accepted(1, t.prepare(0, 1, d, 1));
            mentions(rejected(0, t.prepare(0, 1, d, 0)), "bad prepare");
            mentions(rejected(2, t.prepare(0, 1, d, 1)), "relayed");
        }

        @Test
        void aPrepareWithAnotherReplicasSignatureFails() {
            Prepare p = t.prepare(0, 1, d, 2);
            rejected(1, new Prepare(0, 1, d, 1, p.signature()));
        }

        @Test
        void commitsAndCheckpointsPassFromTheirSignerOnly() {
            accepted(0, t.commit(0, 1, d, 0));
            rejected(1, t.commit(0, 1, d, 0));
            Commit c = t.commit(0, 1, d, 2);
            rejected(2, new Commit(0, 2, d, 2, c.signature()));

            Checkpoint cp = t.checkpoint(8, stateAt(8), 3);
            accepted(3, cp);
            rejected(2, cp);
            rejected(3, new Checkpoint(8, stateAt(9), 3, cp.signature()));
        }

        @Test
        void replicaOnlyMessagesFromAClientFail() {
            rejected(CLIENT, new StateRequest(0, 0));
            rejected(CLIENT, new FetchBatch(d));
            accepted(2, new StateRequest(0, 0));
            accepted(2, new FetchBatch(d));
        }

        @Test
        void aReplyPassesOnlyFromTheReplicaItNames() {
            ReplyBatch reply = new ReplyBatch(2, 0, CLIENT, List.of(new ReplyBatch.Reply(1, utf8("r"))));
            accepted(2, reply);
            rejected(1, reply);
            rejected(CLIENT, new ReplyBatch(CLIENT, 0, CLIENT, List.of()));
        }
    }

    @Nested
    class ViewChangesAndPreparedProofs {

        private final Digest d = digestOf("batch");

        @Test
        void aViewChangeWithAValidPreparedProofPasses() {
            accepted(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 1, 2))));
            accepted(3, t.viewChange(1, 3, 0, List.of(t.preparedProof(0, 1, d, 1, 2, 3))));
        }

        @Test
        void aPreparedProofWithTooFewPreparesFails() {
            mentions(rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 2)))),
                    "prepared certificate for sequence 1");
            rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d))));
        }

        @Test
        void aPreparedProofWithADuplicatedSignerFails() {
            rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 2, 2))));
        }

        @Test
        void aPreparedProofCountingAPrepareFromThePrimaryFails() {
            // Replica 0 is the primary of view 0: its prepare must not count towards the 2f.
            rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 0, 2))));
            rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 0, 1, 2))));
        }

        @Test
        void aPreparedProofWithAPrepareForAnotherDigestOrSequenceFails() {
            PreparedProof good = t.preparedProof(0, 1, d, 1, 2);
            List<Prepare> mixed = List.of(good.prepares().get(0), t.prepare(0, 1, digestOf("other"), 2));
            rejected(2, t.viewChange(1, 2, 0, List.of(new PreparedProof(good.prePrepare(), mixed))));
            List<Prepare> wrongSeq = List.of(good.prepares().get(0), t.prepare(0, 2, d, 2));
            rejected(2, t.viewChange(1, 2, 0, List.of(new PreparedProof(good.prePrepare(), wrongSeq))));
        }

        @Test
        void aPreparedProofWhosePrePrepareIsNotSignedByThePrimaryFails() {
            PreparedProof good = t.preparedProof(0, 1, d, 1, 2);
            PreparedProof forged = new PreparedProof(t.headerSignedBy(3, 0, 1, d), good.prepares());
            rejected(2, t.viewChange(1, 2, 0, List.of(forged)));
        }

        @Test
        void aPreparedProofMustBeFromAnEarlierViewAndInsideTheWatermarks() {
            rejected(2, t.viewChange(1, 2, 0, List.of(t.preparedProof(1, 1, d, 2, 3)))); // view not below 1
            rejected(2, t.viewChange(1, 2, 8, List.of(t.preparedProof(0, 8, d, 1, 2)))); // at the stable checkpoint
            accepted(2, t.viewChange(1, 2, 8, List.of(t.preparedProof(0, 40, d, 1, 2)))); // 8 + L
            rejected(2, t.viewChange(1, 2, 8, List.of(t.preparedProof(0, 41, d, 1, 2)))); // above 8 + L
        }

        @Test
        void twoPreparedProofsForOneSequenceFail() {
            accepted(2, t.viewChange(2, 2, 0, List.of(t.preparedProof(0, 1, d, 1, 2))));
            accepted(2, t.viewChange(2, 2, 0, List.of(t.preparedProof(1, 1, digestOf("x"), 2, 3))));
            rejected(2, t.viewChange(2, 2, 0, List.of(t.preparedProof(0, 1, d, 1, 2),
                    t.preparedProof(1, 1, digestOf("x"), 2, 3))));
        }

        @Test
        void aViewChangeWithABadSignatureOrRelayedFails() {
            ViewChange vc = t.viewChange(1, 2, 0, List.of());
            accepted(2, vc);
            mentions(rejected(3, vc), "relayed");
            ViewChange byThree = t.viewChange(1, 3, 0, List.of());
            rejected(2, new ViewChange(1, 2, 0, List.of(), List.of(), byThree.signature()));
            // The signature covers the prepared certificates.
            ViewChange withProof = t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, d, 1, 2)));
            rejected(2, new ViewChange(1, 2, 0, List.of(), List.of(), withProof.signature()));
        }

        @Test
        void aCheckpointProofWithQuorumDistinctValidSignaturesPasses() {
            accepted(2, t.viewChange(1, 2, 8, t.checkpointProof(8, stateAt(8), 0, 1, 2), List.of()));
            accepted(2, t.viewChange(1, 2, 8, t.checkpointProof(8, stateAt(8), 3, 1, 0, 2), List.of()));
        }

        @Test
        void aCheckpointProofWithADuplicatedSignerFails() {
            mentions(rejected(2, t.viewChange(1, 2, 8, t.checkpointProof(8, stateAt(8), 0, 1, 1), List.of())),
                    "checkpoint proof");
        }

        @Test
        void aCheckpointProofWithTooFewMismatchedOrForgedCheckpointsFails() {
            rejected(2, t.viewChange(1, 2, 8, t.checkpointProof(8, stateAt(8), 0, 1), List.of()));
            List<Checkpoint> mixedDigest = new ArrayList<>(t.checkpointProof(8, stateAt(8), 0, 1));
            mixedDigest.add(t.checkpoint(8, stateAt(7), 2));
            rejected(2, t.viewChange(1, 2, 8, mixedDigest, List.of()));
            List<Checkpoint> mixedSequence = new ArrayList<>(t.checkpointProof(8, stateAt(8), 0, 1));
            mixedSequence.add(t.checkpoint(16, stateAt(8), 2));
            rejected(2, t.viewChange(1, 2, 8, mixedSequence, List.of()));
            List<Checkpoint> forged = new ArrayList<>(t.checkpointProof(8, stateAt(8), 0, 1));
            forged.add(new Checkpoint(8, stateAt(8), 2, t.checkpoint(8, stateAt(8), 3).signature()));
            rejected(2, t.viewChange(1, 2, 8, forged, List.of()));
            // A proof for the wrong sequence does not certify the claimed stable checkpoint.
            rejected(2, t.viewChange(1, 2, 16, t.checkpointProof(8, stateAt(8), 0, 1, 2), List.of()));
            // Sequence 0 is the genesis state and takes no proof at all.
            rejected(2, t.viewChange(1, 2, 0, t.checkpointProof(0, stateAt(0), 0, 1, 2), List.of()));
        }
    }

    @Nested
    class NewViews {

        // New view 1, primary 1. Replica 2 prepared sequences 1 and 3 in view 0; nothing prepared at 2.
        private final Digest d1 = digestOf("batch-1");
        private final Digest d3 = digestOf("batch-3");
        private final ViewChange vc0 = t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 1, d1, 1, 2)));
        private final ViewChange vc2 = t.viewChange(1, 2, 0,
                List.of(t.preparedProof(0, 1, d1, 1, 2), t.preparedProof(0, 3, d3, 2, 3)));
        private final ViewChange vc3 = t.viewChange(1, 3, 0, List.of());
        private final List<ViewChange> quorum = List.of(vc0, vc2, vc3);

        private List<PrePrepare> headers(long view, Digest... digests) {
            List<PrePrepare> out = new ArrayList<>();
            for (int i = 0; i < digests.length; i++) {
                out.add(t.header(view, i + 1, digests[i]));
            }
            return out;
        }

        private final List<PrePrepare> derived = headers(1, d1, Batch.NULL.digest(), d3);

        @Test
        void aNewViewThatFollowsFromItsViewChangesPasses() {
            accepted(1, t.newView(1, quorum, derived));
        }

        @Test
        void aNewViewProvenValidOnceIsNotVerifiedAgainButAnyAlteredCopyIs() {
            java.util.concurrent.atomic.AtomicInteger verified = new java.util.concurrent.atomic.AtomicInteger();
            org.ehrledger.consensus.api.Verifier counting = new org.ehrledger.consensus.api.Verifier() {
                @Override
                public boolean verify(int signer, byte[] message, byte[] signature) {
                    verified.incrementAndGet();
                    return t.directory.verify(signer, message, signature);
                }

                @Override
                public boolean isKnownClient(int clientId) {
                    return t.directory.isKnownClient(clientId);
                }
            };
            MessageValidator cached = new MessageValidator(t.config, counting);
            NewView nv = t.newView(1, quorum, derived);
            assertNull(cached.check(new Envelope(1, 3, nv)));
            int first = verified.get();
            assertTrue(first > 10, "the first check verifies the view changes and their certificates: " + first);
            // Relayed again, alone or in a state response: accepted without one more verification.
            assertNull(cached.check(new Envelope(2, 3, nv)));
            assertNull(cached.check(new Envelope(3, 0, new StateResponse(1, 0, List.of(), null, List.of(), nv))));
            assertEquals(first, verified.get());
            // The same view changes with another pre-prepare, or another signature, are new messages: checked, refused.
            assertNotNull(cached.check(new Envelope(1, 3, t.newView(1, quorum, headers(1, d1, digestOf("smuggled"), d3)))));
            assertNotNull(cached.check(new Envelope(1, 3, t.newViewSignedBy(2, 1, quorum, derived))));
            assertTrue(verified.get() > first);
            // Bounded: after as many other valid new views, the first is verified again (and still valid).
            for (long v = 2; v < 2 + MessageValidator.VALID_NEW_VIEWS; v++) {
                List<ViewChange> vcs = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    vcs.add(t.viewChange(v, r, 0, List.of()));
                }
                assertNull(cached.check(new Envelope(1, 3, t.newView(v, vcs, List.of()))));
            }
            int before = verified.get();
            assertNull(cached.check(new Envelope(1, 3, nv)));
            assertTrue(verified.get() > before, "the least recently used new view was forgotten");
        }

        @Test
        void aNewViewWithNothingPreparedCarriesNoPrePrepares() {
            List<ViewChange> empty = List.of(t.viewChange(1, 0, 0, List.of()), t.viewChange(1, 2, 0, List.of()),
                    vc3);
            accepted(1, t.newView(1, empty, List.of()));
            rejected(1, t.newView(1, empty, headers(1, Batch.NULL.digest())));
        }

        @Test
        void aNewViewThatReplacesAPreparedBatchFails() {
            mentions(rejected(1, t.newView(1, quorum, headers(1, d1, Batch.NULL.digest(), Batch.NULL.digest()))),
                    "sequence 3 does not follow");
            rejected(1, t.newView(1, quorum, headers(1, d3, Batch.NULL.digest(), d3)));
        }

        @Test
        void aNewViewThatDoesNotFillAGapWithTheNullBatchFails() {
            rejected(1, t.newView(1, quorum, headers(1, d1, digestOf("smuggled"), d3)));
        }

        @Test
        void aNewViewWithMissingExtraOrReorderedPrePreparesFails() {
            mentions(rejected(1, t.newView(1, quorum, headers(1, d1, Batch.NULL.digest()))), "do not follow");
            rejected(1, t.newView(1, quorum, headers(1, d1, Batch.NULL.digest(), d3, Batch.NULL.digest())));
            List<PrePrepare> reordered = new ArrayList<>(derived);
            java.util.Collections.swap(reordered, 0, 2);
            rejected(1, t.newView(1, quorum, reordered));
        }

        @Test
        void aNewViewWhosePrePreparesAreForAnotherViewOrNotSignedByItsPrimaryFails() {
            rejected(1, t.newView(1, quorum, headers(0, d1, Batch.NULL.digest(), d3)));
            List<PrePrepare> forged = new ArrayList<>(derived);
            forged.set(1, t.headerSignedBy(2, 1, 2, Batch.NULL.digest()));
            rejected(1, t.newView(1, quorum, forged));
        }

        @Test
        void aNewViewSignedByAnotherReplicaFailsButAGenuineOneMayBeRelayed() {
            mentions(rejected(2, t.newViewSignedBy(2, 1, quorum, derived)), "signature");
            mentions(rejected(1, t.newViewSignedBy(2, 1, quorum, derived)), "signature");
            // Signed by view 1's primary (replica 1) but relayed by replica 2 to a lagging replica.
            accepted(2, t.newViewSignedBy(1, 1, quorum, derived));
        }

        @Test
        void aNewViewNeedsQuorumDistinctMatchingValidViewChanges() {
            mentions(rejected(1, t.newView(1, List.of(vc2, vc3), derived)), "fewer than 2f+1");
            rejected(1, t.newView(1, List.of(vc2, vc2, vc3), derived));
            ViewChange forView2 = t.viewChange(2, 0, 0, List.of(t.preparedProof(0, 1, d1, 1, 2)));
            rejected(1, t.newView(1, List.of(forView2, vc2, vc3), derived));
            ViewChange badSignature = new ViewChange(1, 0, 0, vc0.checkpointProof(), vc0.prepared(), vc3.signature());
            rejected(1, t.newView(1, List.of(badSignature, vc2, vc3), derived));
        }

        @Test
        void theHighestViewPreparedBatchIsTheOneReproposed() {
            // New view 2 (primary 2): sequence 1 prepared with d1 in view 0 at replica 0, with dx in view 1 at replica 3.
            Digest dx = digestOf("batch-1-view-1");
            ViewChange a = t.viewChange(2, 0, 0, List.of(t.preparedProof(0, 1, d1, 1, 2)));
            ViewChange b = t.viewChange(2, 3, 0, List.of(t.preparedProof(1, 1, dx, 2, 3)));
            ViewChange c = t.viewChange(2, 1, 0, List.of());
            List<ViewChange> vcs = List.of(a, b, c);
            accepted(2, t.newView(2, vcs, List.of(t.header(2, 1, dx))));
            rejected(2, t.newView(2, vcs, List.of(t.header(2, 1, d1))));
        }

        @Test
        void batchesAtOrBelowTheHighestStableCheckpointAreNotReproposed() {
            // Replica 3 reports stable checkpoint 8; replica 0 still holds a certificate for sequence 5.
            ViewChange a = t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 5, d1, 1, 2)));
            ViewChange b = t.viewChange(1, 3, 8, List.of());
            ViewChange c = t.viewChange(1, 2, 0, List.of());
            List<ViewChange> vcs = List.of(a, b, c);
            accepted(1, t.newView(1, vcs, List.of()));
            List<PrePrepare> stale = new ArrayList<>();
            for (int n = 1; n <= 5; n++) {
                stale.add(t.header(1, n, n == 5 ? d1 : Batch.NULL.digest()));
            }
            rejected(1, t.newView(1, vcs, stale));
        }
    }

    @Nested
    class StateResponses {

        private final byte[] snapshot = utf8("snapshot at 8");
        private final Digest snapshotDigest = Digest.sha256(snapshot);
        private final Batch batch = t.batch(1, t.request(1, "a"));

        private CommittedBatch committed(int... signers) {
            PrePrepare pp = t.prePrepare(0, 9, batch);
            List<Commit> cert = new ArrayList<>();
            for (int s : signers) {
                cert.add(t.commit(0, 9, batch.digest(), s));
            }
            return new CommittedBatch(pp, cert);
        }

        @Test
        void aStateResponseWithCertifiedSnapshotAndBatchesPasses() {
            accepted(2, new StateResponse(0, 8, t.checkpointProof(8, snapshotDigest, 0, 1, 3), snapshot,
                    List.of(committed(0, 1, 2)), null));
            accepted(2, new StateResponse(0, 0, List.of(), null, List.of(), null));
        }

        @Test
        void aStateResponseWhoseSnapshotDoesNotMatchItsProofFails() {
            mentions(rejected(2, new StateResponse(0, 8, t.checkpointProof(8, snapshotDigest, 0, 1, 3),
                    utf8("tampered"), List.of(), null)), "snapshot");
        }

        @Test
        void aStateResponseWithAnIncompleteOrDuplicatedCommitCertificateFails() {
            List<Checkpoint> proof = t.checkpointProof(8, snapshotDigest, 0, 1, 3);
            rejected(2, new StateResponse(0, 8, proof, null, List.of(committed(0, 1)), null));
            rejected(2, new StateResponse(0, 8, proof, null, List.of(committed(0, 1, 1)), null));
        }

        @Test
        void aStateResponseFromAClientFails() {
            rejected(CLIENT, new StateResponse(0, 0, List.of(), null, List.of(), null));
        }
    }
}

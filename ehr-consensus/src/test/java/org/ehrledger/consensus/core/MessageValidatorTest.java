package org.ehrledger.consensus.core;

import static org.ehrledger.consensus.TestNodes.digestOf;
import static org.ehrledger.consensus.TestNodes.stateAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.TestNodes;
import org.junit.jupiter.api.Test;

/** Package-level parts of {@link MessageValidator}: the new-view derivation and the certificate checks. */
class MessageValidatorTest {

    private final TestNodes t = new TestNodes();
    private final MessageValidator validator = new MessageValidator(t.config, t.directory);
    private final Digest nullDigest = Batch.NULL.digest();

    private static TreeMap<Long, Digest> proposals(Object... seqDigestPairs) {
        TreeMap<Long, Digest> m = new TreeMap<>();
        for (int i = 0; i < seqDigestPairs.length; i += 2) {
            m.put(((Number) seqDigestPairs[i]).longValue(), (Digest) seqDigestPairs[i + 1]);
        }
        return m;
    }

    // ---------------------------------------------------------------- derive

    @Test
    void derivePicksTheHighestViewPreparedDigestPerSequence() {
        Digest v0 = digestOf("seq1-view0");
        Digest v1 = digestOf("seq1-view1");
        Digest v2 = digestOf("seq1-view2");
        // New view 3 (primary 3); the primaries of views 0, 1, 2 are replicas 0, 1, 2.
        ViewChange a = t.viewChange(3, 0, 0, List.of(t.preparedProof(0, 1, v0, 1, 2)));
        ViewChange b = t.viewChange(3, 1, 0, List.of(t.preparedProof(2, 1, v2, 0, 1)));
        ViewChange c = t.viewChange(3, 3, 0, List.of(t.preparedProof(1, 1, v1, 2, 3)));

        MessageValidator.Derivation d = MessageValidator.derive(List.of(a, b, c));

        assertEquals(proposals(1, v2), d.proposals());
        assertEquals(0, d.minSequence());
    }

    @Test
    void deriveFillsGapsWithTheNullBatchDigest() {
        Digest d1 = digestOf("one");
        Digest d4 = digestOf("four");
        ViewChange a = t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 1, d1, 1, 2)));
        ViewChange b = t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 4, d4, 2, 3)));
        ViewChange c = t.viewChange(1, 3, 0, List.of());

        MessageValidator.Derivation d = MessageValidator.derive(List.of(a, b, c));

        assertEquals(proposals(1, d1, 2, nullDigest, 3, nullDigest, 4, d4), d.proposals());
        assertEquals(Batch.NULL.digest(), new Batch(0, List.of()).digest(), "the null batch digest is well defined");
    }

    @Test
    void deriveStartsAboveTheHighestStableCheckpointAndNamesItsSource() {
        Digest d5 = digestOf("five");
        Digest d10 = digestOf("ten");
        Digest d12 = digestOf("twelve");
        ViewChange low = t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 5, d5, 1, 2),
                t.preparedProof(0, 10, d10, 1, 2)));
        ViewChange high = t.viewChange(1, 2, 8, List.of(t.preparedProof(0, 12, d12, 2, 3)));
        ViewChange none = t.viewChange(1, 3, 0, List.of());

        MessageValidator.Derivation d = MessageValidator.derive(List.of(low, none, high));

        assertEquals(8, d.minSequence());
        assertSame(high, d.checkpointSource());
        assertEquals(proposals(9, nullDigest, 10, d10, 11, nullDigest, 12, d12), d.proposals());
    }

    @Test
    void deriveWithNothingPreparedProposesNothing() {
        List<ViewChange> vcs = List.of(t.viewChange(1, 0, 8, List.of()), t.viewChange(1, 2, 16,
                t.checkpointProof(16, stateAt(16), 0, 1, 2), List.of()), t.viewChange(1, 3, 0, List.of()));

        MessageValidator.Derivation d = MessageValidator.derive(vcs);

        assertTrue(d.proposals().isEmpty());
        assertEquals(16, d.minSequence());
        assertEquals(2, d.checkpointSource().replica());
    }

    @Test
    void deriveDoesNotDependOnTheOrderOfTheViewChanges() {
        Digest a1 = digestOf("a1");
        Digest b1 = digestOf("b1");
        Digest c3 = digestOf("c3");
        List<ViewChange> vcs = new ArrayList<>(List.of(
                t.viewChange(2, 0, 0, List.of(t.preparedProof(0, 1, a1, 1, 2))),
                t.viewChange(2, 1, 0, List.of(t.preparedProof(1, 1, b1, 2, 3), t.preparedProof(0, 3, c3, 1, 3))),
                t.viewChange(2, 3, 0, List.of()),
                t.viewChange(2, 2, 0, List.of())));
        Map<Long, Digest> expected = proposals(1, b1, 2, nullDigest, 3, c3);
        Random rnd = new Random(7);
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(vcs, rnd);
            assertEquals(expected, MessageValidator.derive(vcs).proposals(), "order " + vcs);
        }
    }

    // ---------------------------------------------------------------- certificates

    @Test
    void aCheckpointProofCertifiesItsDigestOnlyWithQuorumDistinctValidSignatures() {
        Digest s8 = stateAt(8);
        assertEquals(s8, validator.checkpointProofDigest(t.checkpointProof(8, s8, 0, 1, 2), 8));
        assertEquals(s8, validator.checkpointProofDigest(t.checkpointProof(8, s8, 3, 2, 1, 0), 8));
        assertNull(validator.checkpointProofDigest(t.checkpointProof(8, s8, 0, 1, 1), 8));
        assertNull(validator.checkpointProofDigest(t.checkpointProof(8, s8, 0, 1), 8));
        assertNull(validator.checkpointProofDigest(t.checkpointProof(8, s8, 0, 1, 2), 16));
        assertEquals(MessageValidator.GENESIS, validator.checkpointProofDigest(List.of(), 0));
        assertNull(validator.checkpointProofDigest(List.of(), 8));
    }

    @Test
    void aPreparedProofNeedsTwoFDistinctBackupsMatchingTheSignedPrePrepare() {
        Digest d = digestOf("d");
        assertTrue(validator.validPreparedProof(t.preparedProof(0, 1, d, 1, 2)));
        assertTrue(validator.validPreparedProof(t.preparedProof(5, 3, d, 2, 3))); // primary of view 5 is 1
        assertFalse(validator.validPreparedProof(t.preparedProof(0, 1, d, 1)));
        assertFalse(validator.validPreparedProof(t.preparedProof(0, 1, d, 1, 1)));
        assertFalse(validator.validPreparedProof(t.preparedProof(0, 1, d, 0, 1)));
        assertFalse(validator.validPreparedProof(t.preparedProof(5, 3, d, 1, 2)));
        PreparedProof good = t.preparedProof(0, 1, d, 1, 2);
        assertFalse(validator.validPreparedProof(new PreparedProof(t.headerSignedBy(1, 0, 1, d), good.prepares())));
        PrePrepare seqZero = t.header(0, 0, d);
        assertFalse(validator.validPreparedProof(new PreparedProof(seqZero,
                List.of(t.prepare(0, 0, d, 1), t.prepare(0, 0, d, 2)))));
    }

    @Test
    void aCommitCertificateNeedsQuorumDistinctMatchingCommits() {
        Digest d = digestOf("d");
        PrePrepare pp = t.header(0, 4, d);
        List<Commit> three = List.of(t.commit(0, 4, d, 0), t.commit(0, 4, d, 1), t.commit(0, 4, d, 3));
        assertTrue(validator.validCommitCertificate(pp, three));
        assertFalse(validator.validCommitCertificate(pp, three.subList(0, 2)));
        assertFalse(validator.validCommitCertificate(pp,
                List.of(t.commit(0, 4, d, 0), t.commit(0, 4, d, 1), t.commit(0, 4, d, 1))));
        assertFalse(validator.validCommitCertificate(pp,
                List.of(t.commit(0, 4, d, 0), t.commit(0, 4, d, 1), t.commit(1, 4, d, 3))));
        assertFalse(validator.validCommitCertificate(t.header(0, 4, digestOf("other")), three));
    }
}

package org.ehrledger.consensus.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.TestNodes;
import org.ehrledger.consensus.api.CommitCertificate;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Request;
import org.junit.jupiter.api.Test;

/** Merkle audit paths, batch inclusion proofs and offline commit-certificate checks. */
class MerkleProofTest {

    private final TestNodes t = new TestNodes();

    private static List<Digest> leaves(int n) {
        List<Digest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(MerkleTree.leafHash(("leaf-" + i).getBytes()));
        }
        return out;
    }

    @Test
    void everyLeafOfEveryTreeSizeProvesItsInclusion() {
        for (int n = 1; n <= 33; n++) {
            List<Digest> leaves = leaves(n);
            Digest root = MerkleTree.root(leaves);
            for (int i = 0; i < n; i++) {
                List<Digest> path = MerkleTree.auditPath(leaves, i);
                assertEquals(root, MerkleTree.rootFromPath(leaves.get(i), i, n, path), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void aProofFailsForAnotherLeafIndexOrSize() {
        List<Digest> leaves = leaves(11);
        Digest root = MerkleTree.root(leaves);
        List<Digest> path = MerkleTree.auditPath(leaves, 6);
        assertNotEquals(root, MerkleTree.rootFromPath(leaves.get(5), 6, 11, path), "another leaf");
        assertNotEquals(root, MerkleTree.rootFromPath(leaves.get(6), 7, 11, path), "another index");
        // (The tree size is bound by the batch digest, which hashes the count: see the batch test.)
        assertNull(MerkleTree.rootFromPath(leaves.get(6), 11, 11, path), "index out of range");
        assertNull(MerkleTree.rootFromPath(leaves.get(6), 6, 11, path.subList(0, path.size() - 1)), "short path");
    }

    @Test
    void aRequestsInclusionProofLeadsToTheBatchDigestThatCommitsSign() {
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            requests.add(t.request(10 + i, "record " + i));
        }
        Batch batch = new Batch(1_767_225_600_000L, requests);
        for (int i = 0; i < requests.size(); i++) {
            Batch.Inclusion proof = batch.inclusion(i);
            assertEquals(batch.digest(), proof.batchDigest(requests.get(i).digest()));
        }
        Request forged = t.request(13, "record 3, altered");
        assertNotEquals(batch.digest(), batch.inclusion(3).batchDigest(forged.digest()));
        Batch.Inclusion otherTime = new Batch.Inclusion(batch.inclusion(3).timestamp() + 1, 7, 3, batch.inclusion(3).path());
        assertNotEquals(batch.digest(), otherTime.batchDigest(requests.get(3).digest()));
        Batch.Inclusion otherCount = new Batch.Inclusion(batch.timestamp(), 8, 3, batch.inclusion(3).path());
        Digest claimed = otherCount.batchDigest(requests.get(3).digest());
        assertTrue(claimed == null || !claimed.equals(batch.digest()), "the count is part of the digest");
    }

    @Test
    void aRequestSkeletonProvesTheRequestWithoutItsOperations() {
        Request r = t.request(77, "a clinical note that may later be crypto-shredded");
        org.ehrledger.consensus.message.RequestSkeleton skeleton = r.skeleton();
        assertEquals(r.digest(), skeleton.digest());
        assertTrue(skeleton.verify(t.clientKeys.publicKeys()), "the client's signature covers the skeleton");
        assertEquals(Digest.sha256(r.operation()), skeleton.operationDigests().get(0));
        org.ehrledger.consensus.message.RequestSkeleton altered = new org.ehrledger.consensus.message.RequestSkeleton(
                skeleton.clientId(), skeleton.timestamp(), List.of(Digest.sha256(new byte[] {1})), skeleton.signature());
        assertNotEquals(r.digest(), altered.digest());
        assertTrue(!altered.verify(t.clientKeys.publicKeys()), "another operation breaks the signature");
    }

    @Test
    void aCommitCertificateIsCheckedWithTheGenesisFileAlone() {
        Digest d = TestNodes.digestOf("batch");
        List<SignedCommit> cert = List.of(t.commit(2, 9, d, 0).signed(), t.commit(2, 9, d, 1).signed(),
                t.commit(2, 9, d, 3).signed());
        assertNull(CommitCertificate.check(t.config, 2, 9, d, cert));
        assertNotNull(CommitCertificate.check(t.config, 2, 9, TestNodes.digestOf("other"), cert), "other batch");
        assertNotNull(CommitCertificate.check(t.config, 2, 10, d, cert), "other sequence");
        assertNotNull(CommitCertificate.check(t.config, 2, 9, d, cert.subList(0, 2)), "too few");
        assertNotNull(CommitCertificate.check(t.config, 2, 9, d, List.of(cert.get(0), cert.get(0), cert.get(1))),
                "repeated signer");
        SignedCommit forged = new SignedCommit(2, 9, d, 2, cert.get(0).signature());
        assertNotNull(CommitCertificate.check(t.config, 2, 9, d, List.of(cert.get(0), cert.get(1), forged)),
                "signature of another replica");
    }
}

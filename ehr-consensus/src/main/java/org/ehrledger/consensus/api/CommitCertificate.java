package org.ehrledger.consensus.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.Ed25519;

/**
 * Checks a commit certificate with nothing but the genesis configuration: 2f+1 commits from distinct
 * replicas, each a valid Ed25519 signature over the same (view, sequence, batch digest). Proves to a
 * third party that the batch with that digest was ordered at that sequence number.
 */
public final class CommitCertificate {

    private CommitCertificate() {
    }

    /** Null if the certificate proves that {@code digest} committed at {@code sequence}, else the reason. */
    public static String check(ClusterConfig genesis, long view, long sequence, Digest digest, List<SignedCommit> certificate) {
        if (certificate.size() < genesis.quorum()) {
            return "a commit certificate needs " + genesis.quorum() + " signatures, found " + certificate.size();
        }
        Set<Integer> signers = new HashSet<>();
        for (SignedCommit c : certificate) {
            if (c.view() != view || c.sequence() != sequence || !c.digest().equals(digest)) {
                return "commit of replica " + c.replica() + " is for another batch";
            }
            if (!genesis.isReplica(c.replica()) || !signers.add(c.replica())) {
                return "commit from an unknown or repeated replica " + c.replica();
            }
            if (!Ed25519.verify(genesis.replicaKeys(c.replica()), c.signedBytes(), c.signature())) {
                return "bad signature of replica " + c.replica();
            }
        }
        return null;
    }
}

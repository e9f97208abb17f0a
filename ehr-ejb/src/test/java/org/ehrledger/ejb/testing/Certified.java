package org.ehrledger.ejb.testing;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.BatchInclusion;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.OrderedRequest;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;

/**
 * A four-replica network with deterministic keys and one gateway client, producing committed batches
 * exactly as consensus hands them to the ledger: a client-signed request and 2f+1 replica-signed commits.
 */
public final class Certified {

    /** The gateway client's id. */
    public static final int CLIENT = ClusterConfig.FIRST_CLIENT_ID;

    /** The genesis configuration of the four replicas. */
    public final ClusterConfig genesis;
    private final NodeCrypto[] replicas = new NodeCrypto[4];
    private final NodeCrypto client;
    private long clientTimestamp = 1;

    /** Builds the network. */
    public Certified() {
        List<ReplicaInfo> infos = new ArrayList<>();
        NodeKeys[] keys = new NodeKeys[4];
        for (int i = 0; i < 4; i++) {
            keys[i] = KeyPairs.deterministic(i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7800 + i, keys[i].publicKeys()));
        }
        genesis = new ClusterConfig(infos, 8, 32);
        NodeKeys clientKeys = KeyPairs.deterministic(CLIENT);
        for (int i = 0; i < 4; i++) {
            replicas[i] = new NodeCrypto(i, keys[i], id -> id == CLIENT ? clientKeys.publicKeys() : genesis.replicaKeys(id));
        }
        client = new NodeCrypto(CLIENT, clientKeys, genesis::replicaKeys);
    }

    /** A request signed by the gateway client: its proof and the request as the application executes it. */
    public record Signed(RequestProof proof, OrderedRequest request) {
    }

    /** A request signed by the gateway client. */
    public Signed request(List<byte[]> operations) {
        RequestProof proof = RequestProof.sign(client, clientTimestamp++, operations);
        return new Signed(proof, new OrderedRequest(CLIENT, proof.timestamp(), proof.digest(), List.copyOf(operations)));
    }

    /** The digest of a batch of these requests ordered at {@code timestamp}. */
    public static Digest batchDigest(long timestamp, List<RequestProof> requests) {
        List<Digest> leaves = new ArrayList<>();
        for (RequestProof r : requests) {
            leaves.add(BatchInclusion.leafOf(r.digest()));
        }
        return BatchInclusion.batchDigest(timestamp, requests.size(), MerkleTree.root(leaves));
    }

    /** Commits of replicas 0, 1 and 3 (a quorum without replica 2) for a batch. */
    public List<SignedCommit> certificate(long view, long sequence, Digest digest) {
        List<SignedCommit> cert = new ArrayList<>();
        for (int i : new int[] {0, 1, 3}) {
            cert.add(new SignedCommit(view, sequence, digest, i,
                    replicas[i].sign(SignedCommit.signedBytes(view, sequence, digest, i))));
        }
        return cert;
    }

    /** One committed batch of one request carrying {@code operations}, in view 0. */
    public OrderedBatch batch(long sequence, long timestamp, List<byte[]> operations) {
        Signed r = request(operations);
        Digest digest = batchDigest(timestamp, List.of(r.proof()));
        return new OrderedBatch(sequence, 0, timestamp, digest, List.of(r.proof()), List.of(r.request()),
                certificate(0, sequence, digest));
    }
}

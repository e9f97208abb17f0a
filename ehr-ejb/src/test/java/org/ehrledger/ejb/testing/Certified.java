package org.ehrledger.ejb.testing;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Request;

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

    /** A request signed by the gateway client. */
    public Request request(List<byte[]> operations) {
        long ts = clientTimestamp++;
        return new Request(CLIENT, ts, operations, client.sign(Request.signedBytes(CLIENT, ts, operations)));
    }

    /** Commits of replicas 0, 1 and 3 (a quorum without replica 2) for a batch. */
    public List<Commit> certificate(long view, long sequence, Digest digest) {
        List<Commit> cert = new ArrayList<>();
        for (int i : new int[] {0, 1, 3}) {
            cert.add(new Commit(view, sequence, digest, i, replicas[i].sign(Commit.signedBytes(view, sequence, digest, i))));
        }
        return cert;
    }

    /** One committed batch of one request carrying {@code operations}, in view 0. */
    public OrderedBatch batch(long sequence, long timestamp, List<byte[]> operations) {
        Request r = request(operations);
        Batch b = new Batch(timestamp, List.of(r));
        return new OrderedBatch(sequence, 0, timestamp, b.digest(), b, List.of(r), certificate(0, sequence, b.digest()));
    }
}

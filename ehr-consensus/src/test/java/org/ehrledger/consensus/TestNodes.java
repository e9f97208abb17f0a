package org.ehrledger.consensus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.codec.Wire;

/**
 * A deterministic four-replica cluster (f = 1, K = 8, L = 32) with one admitted client (id 1024), and
 * builders for correctly signed protocol messages. Pure in-memory: no network, no threads.
 */
public final class TestNodes {

    /** The admitted client. */
    public static final int CLIENT = ClusterConfig.FIRST_CLIENT_ID;

    public final NodeKeys[] replicaKeys = new NodeKeys[4];
    public final NodeKeys clientKeys = KeyPairs.deterministic(CLIENT);
    public final ClusterConfig config;
    public final StaticClientDirectory clients = new StaticClientDirectory();
    public final KeyDirectory directory;
    private final NodeCrypto[] replicaCrypto = new NodeCrypto[4];
    public final NodeCrypto client;

    public TestNodes() {
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replicaKeys[i] = KeyPairs.deterministic(i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7800 + i, replicaKeys[i].publicKeys()));
        }
        config = new ClusterConfig(infos, 8, 32);
        clients.admit(CLIENT, clientKeys.publicKeys());
        directory = new KeyDirectory(config, clients);
        for (int i = 0; i < 4; i++) {
            replicaCrypto[i] = directory.crypto(i, replicaKeys[i]);
        }
        client = directory.crypto(CLIENT, clientKeys);
    }

    /** The crypto of a replica (0..3) or of the client. */
    public NodeCrypto crypto(int id) {
        return id == CLIENT ? client : replicaCrypto[id];
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static Digest digestOf(String s) {
        return Digest.sha256(utf8(s));
    }

    /** The body encoding of a message (no envelope), for comparing messages whose records hold arrays. */
    public static byte[] encode(Message m) {
        Wire.Writer w = new Wire.Writer(64);
        m.encode(w);
        return w.toBytes();
    }

    /** A request signed by the admitted client. */
    public Request request(long timestamp, String operation) {
        byte[] op = utf8(operation);
        return new Request(CLIENT, timestamp, op, client.sign(Request.signedBytes(CLIENT, timestamp, op)));
    }

    public Batch batch(long timestamp, Request... requests) {
        return new Batch(timestamp, Arrays.asList(requests));
    }

    /** A full pre-prepare signed by the primary of its view. */
    public PrePrepare prePrepare(long view, long sequence, Batch batch) {
        return header(view, sequence, batch.digest()).withBatch(batch);
    }

    /** A pre-prepare header signed by the primary of its view. */
    public PrePrepare header(long view, long sequence, Digest digest) {
        return headerSignedBy(config.primary(view), view, sequence, digest);
    }

    public PrePrepare headerSignedBy(int signer, long view, long sequence, Digest digest) {
        return new PrePrepare(view, sequence, digest,
                crypto(signer).sign(PrePrepare.signedBytes(view, sequence, digest)), null);
    }

    public Prepare prepare(long view, long sequence, Digest digest, int replica) {
        return new Prepare(view, sequence, digest, replica,
                crypto(replica).sign(Prepare.signedBytes(view, sequence, digest, replica)));
    }

    public Commit commit(long view, long sequence, Digest digest, int replica) {
        return new Commit(view, sequence, digest, replica,
                crypto(replica).sign(Commit.signedBytes(view, sequence, digest, replica)));
    }

    public Checkpoint checkpoint(long sequence, Digest state, int replica) {
        return new Checkpoint(sequence, state, replica,
                crypto(replica).sign(Checkpoint.signedBytes(sequence, state, replica)));
    }

    /** Checkpoints of {@code sequence} by the given replicas. */
    public List<Checkpoint> checkpointProof(long sequence, Digest state, int... replicas) {
        List<Checkpoint> out = new ArrayList<>();
        for (int r : replicas) {
            out.add(checkpoint(sequence, state, r));
        }
        return out;
    }

    /** A prepared certificate: the primary's header and prepares by the given replicas. */
    public PreparedProof preparedProof(long view, long sequence, Digest digest, int... preparers) {
        List<Prepare> prepares = new ArrayList<>();
        for (int r : preparers) {
            prepares.add(prepare(view, sequence, digest, r));
        }
        return new PreparedProof(header(view, sequence, digest), prepares);
    }

    /** The digest replicas certify at a checkpoint in these tests. */
    public static Digest stateAt(long sequence) {
        return digestOf("state@" + sequence);
    }

    /** A view change signed by {@code replica}; a non-zero stable sequence gets a proof from replicas 0, 1, 2. */
    public ViewChange viewChange(long newView, int replica, long stable, List<PreparedProof> prepared) {
        List<Checkpoint> proof = stable == 0 ? List.of() : checkpointProof(stable, stateAt(stable), 0, 1, 2);
        return viewChange(newView, replica, stable, proof, prepared);
    }

    public ViewChange viewChange(long newView, int replica, long stable, List<Checkpoint> proof,
                                 List<PreparedProof> prepared) {
        ViewChange unsigned = new ViewChange(newView, replica, stable, proof, prepared, null);
        return unsigned.signed(crypto(replica).sign(unsigned.signedBytes()));
    }

    /** A new view signed by the primary of {@code view}. */
    public NewView newView(long view, List<ViewChange> viewChanges, List<PrePrepare> prePrepares) {
        return newViewSignedBy(config.primary(view), view, viewChanges, prePrepares);
    }

    public NewView newViewSignedBy(int signer, long view, List<ViewChange> viewChanges, List<PrePrepare> prePrepares) {
        NewView unsigned = new NewView(view, viewChanges, prePrepares, null);
        return unsigned.signed(crypto(signer).sign(unsigned.signedBytes()));
    }
}

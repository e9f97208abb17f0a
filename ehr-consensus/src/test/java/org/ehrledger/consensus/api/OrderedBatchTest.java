package org.ehrledger.consensus.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.TestNodes;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Request;
import org.junit.jupiter.api.Test;

/**
 * What an application is handed of a committed batch proves, with the api types alone, what the protocol
 * ordered: the request proofs form the certified batch digest, the certificate checks with the genesis file,
 * and the proofs are byte for byte the protocol's own (so chains keep their hashes).
 */
class OrderedBatchTest {

    private final TestNodes t = new TestNodes();

    private OrderedBatch committed(Request... requests) {
        Batch batch = t.batch(1_767_225_600_000L, requests);
        List<Commit> cert = List.of(t.commit(1, 5, batch.digest(), 0), t.commit(1, 5, batch.digest(), 2),
                t.commit(1, 5, batch.digest(), 3));
        return batch.ordered(5, 1, batch.timestamp(), List.of(requests[0]), cert);
    }

    @Test
    void theRequestProofsOfAnOrderedBatchFormItsCertifiedDigest() {
        Request a = t.request(1, "first");
        Request b = t.request(2, "second");
        OrderedBatch ordered = committed(a, b, a);
        List<Digest> leaves = new ArrayList<>();
        for (RequestProof p : ordered.requests()) {
            assertTrue(p.verify(t.clientKeys.publicKeys()), "the client's signature covers the proof");
            leaves.add(BatchInclusion.leafOf(p.digest()));
        }
        assertEquals(3, ordered.requests().size(), "as ordered, duplicates included");
        assertEquals(ordered.digest(), BatchInclusion.batchDigest(ordered.timestamp(), 3, MerkleTree.root(leaves)));
        BatchInclusion second = new BatchInclusion(ordered.timestamp(), 3, 1, MerkleTree.auditPath(leaves, 1));
        assertEquals(ordered.digest(), second.batchDigest(b.digest()));
        assertNull(CommitCertificate.check(t.config, 1, 5, ordered.digest(), ordered.certificate()));
        assertNotNull(CommitCertificate.check(t.config, 1, 5, ordered.digest(), ordered.certificate().subList(0, 2)),
                "2f commits are no certificate");
    }

    @Test
    void anOrderedBatchExecutesItsFreshRequestsOnly() {
        Request a = t.request(1, "first");
        OrderedBatch ordered = committed(a, t.request(2, "executed before (a replay)"));
        assertEquals(1, ordered.fresh().size());
        OrderedRequest fresh = ordered.fresh().get(0);
        assertEquals(a.digest(), fresh.digest());
        assertArrayEquals(a.operation(), ordered.operations().get(0).payload());
        assertEquals(1, ordered.operations().size());
    }

    @Test
    void theApplicationsProofsAreByteForByteTheProtocols() {
        Request a = t.request(7, "record");
        Commit c = t.commit(1, 5, a.digest(), 2);
        RequestProof proof = a.skeleton().proof();
        assertEquals(a.digest(), proof.digest());
        assertArrayEquals(encode(w -> a.skeleton().encode(w)), encode(proof::encode));
        assertArrayEquals(TestNodes.encode(c), encode(c.signed()::encode));
        assertArrayEquals(c.signedBytes(), c.signed().signedBytes());
        RequestProof signed = RequestProof.sign(t.client, 7, a.operations());
        assertEquals(a.digest(), signed.digest(), "a request signed through the api is the protocol's request");
    }

    private static byte[] encode(java.util.function.Consumer<Wire.Writer> encoder) {
        Wire.Writer w = new Wire.Writer(64);
        encoder.accept(w);
        return w.toBytes();
    }
}

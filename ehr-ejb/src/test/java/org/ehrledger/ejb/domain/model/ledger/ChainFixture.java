package org.ehrledger.ejb.domain.model.ledger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.ejb.testing.Certified;

/** Builds a realistic chain: requests signed by a gateway client, commits signed by 3 of 4 replicas. */
final class ChainFixture {

    private final Certified network = new Certified();
    final ClusterConfig genesis = network.genesis;
    final List<Block> blocks = new ArrayList<>();
    private long timestamp = 1_767_225_600_000L;

    ChainFixture() {
        Block genesisBlock = new Block(new BlockHeader(0, BlockHeader.NONE, 0, Block.entriesRoot(List.of()),
                BlockHeader.NONE, timestamp, 0, BlockHeader.NONE), List.of(), List.of(), 0, List.of());
        blocks.add(genesisBlock);
    }

    /** Appends a block with {@code requests} requests of {@code opsPerRequest} transactions each. */
    ChainFixture append(int requests, int opsPerRequest) {
        List<Certified.Signed> reqs = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            List<byte[]> ops = new ArrayList<>();
            for (int o = 0; o < opsPerRequest; o++) {
                ops.add(("tx h" + blocks.size() + " r" + r + " o" + o + " add clinical record")
                        .getBytes(StandardCharsets.UTF_8));
            }
            reqs.add(network.request(ops));
        }
        timestamp += 1_000;
        List<LedgerEntry> entries = new ArrayList<>();
        List<RequestProof> encoded = new ArrayList<>();
        for (Certified.Signed signed : reqs) {
            encoded.add(signed.proof());
            var r = signed.request();
            for (int o = 0; o < r.operations().size(); o++) {
                boolean ok = o % 3 != 2;
                entries.add(new LedgerEntry(r.operations().get(o), r.digest(), o, ok, ok ? "" : "consent required"));
            }
        }
        Digest batchDigest = Certified.batchDigest(timestamp, encoded);
        long height = blocks.size();
        long sequence = height * 2; // sequence numbers need not equal heights (null batches make no block)
        long view = 1;
        Block previous = blocks.get(blocks.size() - 1);
        BlockHeader header = new BlockHeader(height, previous.header().hash(), entries.size(), Block.entriesRoot(entries),
                Digest.sha256(("state " + height).getBytes(StandardCharsets.UTF_8)), timestamp, sequence, batchDigest);
        List<SignedCommit> cert = network.certificate(view, sequence, batchDigest);
        blocks.add(new Block(header, entries, encoded, view, cert));
        return this;
    }

    /** The receipt of entry {@code index} of block {@code height}. */
    Receipt receipt(int height, int index) {
        return blocks.get(height).receipt(index);
    }
}

package org.ehrledger.ejb.domain.model.ledger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.api.BatchInclusion;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.CommitCertificate;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Re-verifies a chain from genesis: every header's link to its predecessor, height, entry count and
 * Merkle root, and (above genesis) the commit certificate over its batch. Reports the first bad height
 * with exactly what is wrong, so an edited, deleted or reordered row is found and named.
 */
public final class ChainVerifier {

    private final ClusterConfig genesis;

    /** A verifier for one network. */
    public ChainVerifier(ClusterConfig genesis) {
        this.genesis = genesis;
    }

    /**
     * A verifier of everything but the commit certificates (links, counts, Merkle roots, binding of
     * entries to request skeletons), for a replica checking its own database at start without the
     * genesis keys at hand.
     */
    public static ChainVerifier structural() {
        return new ChainVerifier(null);
    }

    /** The outcome: verified up to {@code height}, or the first bad height and the reason. */
    public record Report(boolean valid, long blocks, long firstBadHeight, String problem, Digest headHash) {
        @Override
        public String toString() {
            return valid ? "chain verified: " + blocks + " blocks, head " + headHash
                    : "chain broken at height " + firstBadHeight + ": " + problem;
        }
    }

    /**
     * How far a verification got: its report and the last block it found sound (null if none), from which a
     * later verification of the blocks that follow can go on ({@link #extend}).
     */
    public record Progress(Report report, BlockHeader last) {
    }

    /** Verifies blocks in height order, starting with genesis (height 0). */
    public Report verify(Iterable<Block> chain) {
        return extend(null, chain).report();
    }

    /**
     * Verifies the blocks that follow {@code previous}, a block already verified (null: the chain from
     * genesis), in height order; the report counts every block up to the last one checked.
     */
    public Progress extend(BlockHeader previous, Iterable<Block> blocks) {
        Digest previousHash = previous == null ? BlockHeader.NONE : previous.hash();
        long expectedHeight = previous == null ? 0 : previous.height() + 1;
        long lastSequence = previous == null || previous.height() == 0 ? -1 : previous.sequence();
        BlockHeader last = previous;
        for (Block b : blocks) {
            BlockHeader h = b.header();
            String problem = check(b, expectedHeight, previousHash, lastSequence);
            if (problem != null) {
                return new Progress(new Report(false, expectedHeight, expectedHeight, problem, previousHash), last);
            }
            previousHash = h.hash();
            lastSequence = h.sequence();
            last = h;
            expectedHeight++;
        }
        return new Progress(new Report(true, expectedHeight, -1, "", previousHash), last);
    }

    /**
     * Checks one block as the successor of {@code previous} (its height, link, counts, Merkle root,
     * binding to the ordered requests, and certificate unless this verifier is structural); returns
     * the problem, or null if it is sound.
     */
    public String checkNext(Block b, Block previous) {
        BlockHeader p = previous.header();
        return check(b, p.height() + 1, p.hash(), p.height() == 0 ? -1 : p.sequence());
    }

    /** Every entry must be an operation of a request of the batch whose digest the certificate signs. */
    private static String checkBatchBinding(Block b) {
        List<Digest> leaves = new ArrayList<>();
        Map<Digest, RequestProof> byDigest = new HashMap<>();
        for (RequestProof r : b.requests()) {
            Digest d = r.digest();
            leaves.add(BatchInclusion.leafOf(d));
            byDigest.put(d, r);
        }
        Digest batch = BatchInclusion.batchDigest(b.header().timestamp(), b.requests().size(), MerkleTree.root(leaves));
        if (!batch.equals(b.header().batchDigest())) {
            return "the stored consensus requests do not form the certified batch (a request was altered, added or removed)";
        }
        for (int i = 0; i < b.entries().size(); i++) {
            LedgerEntry e = b.entries().get(i);
            RequestProof r = byDigest.get(e.requestDigest());
            if (r == null) {
                return "transaction " + i + " names request " + e.requestDigest() + ", which the block's batch does not hold"
                        + " (the transaction row was altered)";
            }
            if (e.operationIndex() < 0 || e.operationIndex() >= r.operationDigests().size()) {
                return "transaction " + i + " names operation " + e.operationIndex() + " of request " + e.requestDigest()
                        + ", which has " + r.operationDigests().size() + " (the transaction row was altered)";
            }
            Digest ordered = r.operationDigests().get(e.operationIndex());
            Digest stored = Digest.sha256(e.transaction());
            if (!ordered.equals(stored)) {
                return "transaction " + i + " is not the operation the replicas ordered (it was altered): its hash is "
                        + stored + ", operation " + e.operationIndex() + " of request " + e.requestDigest() + " is " + ordered;
            }
            Digest content = contentHash(e);
            if (content != null && e.accepted() && (e.operationIndex() + 1 >= r.operationDigests().size()
                    || !r.operationDigests().get(e.operationIndex() + 1).equals(content))) {
                return "record content of transaction " + i + " is not the content the replicas ordered";
            }
        }
        return null;
    }

    /** The content hash a record transaction commits to, or null for other transactions. */
    private static Digest contentHash(LedgerEntry e) {
        try {
            SignedTransaction tx = SignedTransaction.decode(e.transaction());
            return tx.type().carriesContent() ? Digest.of(tx.body().bytes("contentHash")) : null;
        } catch (RuntimeException ex) {
            return null; // a malformed or incomplete transaction was rejected and carries no content
        }
    }

    private String check(Block b, long expectedHeight, Digest previous, long lastSequence) {
        BlockHeader h = b.header();
        if (h.height() != expectedHeight) {
            return "expected height " + expectedHeight + " but found block " + h.height()
                    + " (a block is missing or out of order)";
        }
        if (!h.previousHash().equals(previous)) {
            return "previous-hash link does not match the hash of block " + (expectedHeight - 1)
                    + " (that block or this link was altered)";
        }
        if (h.entryCount() != b.entries().size()) {
            return "header says " + h.entryCount() + " transactions, " + b.entries().size()
                    + " found (a transaction row was deleted or added)";
        }
        if (!Block.entriesRoot(b.entries()).equals(h.entriesRoot())) {
            return "Merkle root does not match the transactions (a transaction or result was altered or reordered)";
        }
        if (expectedHeight == 0) {
            return null;
        }
        if (h.sequence() <= lastSequence) {
            return "consensus sequence " + h.sequence() + " does not increase";
        }
        String binding = checkBatchBinding(b);
        if (binding != null) {
            return binding;
        }
        if (genesis == null) {
            return null;
        }
        if (b.certificate().isEmpty()) {
            return "no commit certificate is stored for this block (installed from a checkpoint; fetch it from a peer)";
        }
        String problem = CommitCertificate.check(genesis, b.view(), h.sequence(), h.batchDigest(), b.certificate());
        return problem == null ? null : "commit certificate invalid: " + problem;
    }
}

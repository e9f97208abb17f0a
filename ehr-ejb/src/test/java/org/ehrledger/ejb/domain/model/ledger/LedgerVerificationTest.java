package org.ehrledger.ejb.domain.model.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.SignedCommit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Chain verification finds and names tampering; receipts verify offline and fail on any change. */
class LedgerVerificationTest {

    private ChainFixture chain;
    private ChainVerifier verifier;

    @BeforeEach
    void buildChain() {
        chain = new ChainFixture().append(2, 3).append(1, 5).append(3, 2).append(2, 2).append(1, 1);
        verifier = new ChainVerifier(chain.genesis);
    }

    private ChainVerifier.Report verifyWith(int height, Block replacement) {
        List<Block> blocks = new ArrayList<>(chain.blocks);
        blocks.set(height, replacement);
        return verifier.verify(blocks);
    }

    @Test
    void anUntouchedChainVerifiesFromGenesis() {
        ChainVerifier.Report r = verifier.verify(chain.blocks);
        assertTrue(r.valid(), r.toString());
        assertEquals(6, r.blocks());
        assertEquals(chain.blocks.get(5).header().hash(), r.headHash());
    }

    @Test
    void extendingAVerifiedPrefixChecksOnlyTheNewBlocksAndGivesTheSameReport() {
        ChainVerifier.Progress prefix = verifier.extend(null, chain.blocks.subList(0, 4));
        assertTrue(prefix.report().valid());
        assertEquals(chain.blocks.get(3).header(), prefix.last());
        ChainVerifier.Progress rest = verifier.extend(prefix.last(), chain.blocks.subList(4, 6));
        assertEquals(verifier.verify(chain.blocks), rest.report());
        assertEquals(chain.blocks.get(5).header(), rest.last());

        Block b = chain.blocks.get(5);
        List<LedgerEntry> shorter = new ArrayList<>(b.entries().subList(0, b.entries().size() - 1));
        ChainVerifier.Progress broken = verifier.extend(prefix.last(), List.of(chain.blocks.get(4),
                new Block(b.header(), shorter, b.requests(), b.view(), b.certificate())));
        assertFalse(broken.report().valid());
        assertEquals(5, broken.report().firstBadHeight());
        assertEquals(chain.blocks.get(4).header(), broken.last(), "the last sound block");
        assertFalse(verifier.extend(chain.blocks.get(2).header(), chain.blocks.subList(4, 6)).report().valid(),
                "a gap is not a continuation");
    }

    @Test
    void anEditedTransactionIsReportedAtItsHeight() {
        Block b = chain.blocks.get(3);
        List<LedgerEntry> entries = new ArrayList<>(b.entries());
        LedgerEntry e = entries.get(1);
        byte[] edited = e.transaction().clone();
        edited[0] ^= 1;
        entries.set(1, new LedgerEntry(edited, e.requestDigest(), e.operationIndex(), e.accepted(), e.reason()));
        ChainVerifier.Report r = verifyWith(3, new Block(b.header(), entries, b.requests(), b.view(), b.certificate()));
        assertFalse(r.valid());
        assertEquals(3, r.firstBadHeight());
        assertTrue(r.problem().contains("Merkle root"), r.problem());
    }

    @Test
    void anEditedResultIsReported() {
        Block b = chain.blocks.get(2);
        List<LedgerEntry> entries = new ArrayList<>(b.entries());
        LedgerEntry e = entries.get(2);
        entries.set(2, new LedgerEntry(e.transaction(), e.requestDigest(), e.operationIndex(), true, ""));
        ChainVerifier.Report r = verifyWith(2, new Block(b.header(), entries, b.requests(), b.view(), b.certificate()));
        assertEquals(2, r.firstBadHeight());
    }

    @Test
    void aDeletedTransactionIsReported() {
        Block b = chain.blocks.get(4);
        List<LedgerEntry> entries = new ArrayList<>(b.entries().subList(1, b.entries().size()));
        ChainVerifier.Report r = verifyWith(4, new Block(b.header(), entries, b.requests(), b.view(), b.certificate()));
        assertEquals(4, r.firstBadHeight());
        assertTrue(r.problem().contains("deleted"), r.problem());
    }

    @Test
    void reorderedBlocksAreReported() {
        List<Block> blocks = new ArrayList<>(chain.blocks);
        Block two = blocks.get(2);
        blocks.set(2, blocks.get(3));
        blocks.set(3, two);
        ChainVerifier.Report r = verifier.verify(blocks);
        assertEquals(2, r.firstBadHeight());
        assertTrue(r.problem().contains("out of order"), r.problem());
    }

    @Test
    void anEditedHeaderBreaksTheLinkOfTheNextBlock() {
        Block b = chain.blocks.get(2);
        BlockHeader h = b.header();
        BlockHeader edited = new BlockHeader(h.height(), h.previousHash(), h.entryCount(), h.entriesRoot(),
                h.stateDigest(), h.timestamp() + 1, h.sequence(), h.batchDigest());
        ChainVerifier.Report r = verifyWith(2, new Block(edited, b.entries(), b.requests(), b.view(), b.certificate()));
        assertFalse(r.valid());
        assertTrue(r.firstBadHeight() == 2 || r.firstBadHeight() == 3, r.toString());
    }

    @Test
    void aConsistentlyRewrittenBlockStillFailsAgainstWhatTheReplicasSigned() {
        // An attacker with database access alters a transaction AND recomputes the Merkle root and every
        // later hash: the commit certificate still signs the original batch.
        List<Block> blocks = new ArrayList<>(chain.blocks);
        Block b = blocks.get(2);
        List<LedgerEntry> entries = new ArrayList<>(b.entries());
        LedgerEntry e = entries.get(0);
        entries.set(0, new LedgerEntry("tx forged".getBytes(), e.requestDigest(), e.operationIndex(), true, ""));
        BlockHeader h = b.header();
        BlockHeader rewritten = new BlockHeader(h.height(), h.previousHash(), entries.size(), Block.entriesRoot(entries),
                h.stateDigest(), h.timestamp(), h.sequence(), h.batchDigest());
        blocks.set(2, new Block(rewritten, entries, b.requests(), b.view(), b.certificate()));
        for (int i = 3; i < blocks.size(); i++) {
            Block n = blocks.get(i);
            BlockHeader nh = n.header();
            blocks.set(i, new Block(new BlockHeader(nh.height(), blocks.get(i - 1).header().hash(), nh.entryCount(),
                    nh.entriesRoot(), nh.stateDigest(), nh.timestamp(), nh.sequence(), nh.batchDigest()),
                    n.entries(), n.requests(), n.view(), n.certificate()));
        }
        ChainVerifier.Report r = verifier.verify(blocks);
        assertEquals(2, r.firstBadHeight());
        assertTrue(r.problem().contains("not the operation the replicas ordered"), r.problem());
    }

    @Test
    void aForgedCertificateIsReported() {
        Block b = chain.blocks.get(1);
        List<SignedCommit> cert = new ArrayList<>(b.certificate());
        SignedCommit c = cert.get(2);
        cert.set(2, new SignedCommit(c.view(), c.sequence(), c.digest(), 2, c.signature()));
        ChainVerifier.Report r = verifyWith(1, new Block(b.header(), b.entries(), b.requests(), b.view(), cert));
        assertEquals(1, r.firstBadHeight());
        assertTrue(r.problem().contains("certificate"), r.problem());
    }

    @Test
    void aReceiptVerifiesOfflineForEveryTransaction() {
        ReceiptVerifier rv = new ReceiptVerifier(chain.genesis);
        for (int h = 1; h < chain.blocks.size(); h++) {
            for (int i = 0; i < chain.blocks.get(h).entries().size(); i++) {
                Receipt receipt = chain.receipt(h, i);
                ReceiptVerifier.Result result = rv.verify(receipt, receipt.entry().transaction());
                assertTrue(result.valid(), "block " + h + " entry " + i + ": " + result.problem());
            }
        }
    }

    @Test
    void aReceiptFailsAfterAnyByteOfTheTransactionChanges() {
        ReceiptVerifier rv = new ReceiptVerifier(chain.genesis);
        Receipt receipt = chain.receipt(3, 4);
        byte[] tx = receipt.entry().transaction();
        for (int i = 0; i < tx.length; i++) {
            byte[] changed = tx.clone();
            changed[i] ^= 0x20;
            LedgerEntry e = receipt.entry();
            Receipt forged = new Receipt(receipt.header(), receipt.entryIndex(),
                    new LedgerEntry(changed, e.requestDigest(), e.operationIndex(), e.accepted(), e.reason()),
                    receipt.entryPath(), receipt.request(), receipt.inclusion(), receipt.view(), receipt.certificate());
            assertFalse(rv.verify(forged, changed).valid(), "byte " + i);
            assertFalse(rv.verify(receipt, changed).valid(), "receipt for another transaction, byte " + i);
        }
    }

    @Test
    void aReceiptFailsWithAnotherBlocksHeaderOrATamperedCertificate() {
        ReceiptVerifier rv = new ReceiptVerifier(chain.genesis);
        Receipt receipt = chain.receipt(2, 1);
        Receipt otherHeader = new Receipt(chain.blocks.get(3).header(), receipt.entryIndex(), receipt.entry(),
                receipt.entryPath(), receipt.request(), receipt.inclusion(), receipt.view(), receipt.certificate());
        assertFalse(rv.verify(otherHeader).valid());
        Receipt fewSignatures = new Receipt(receipt.header(), receipt.entryIndex(), receipt.entry(), receipt.entryPath(),
                receipt.request(), receipt.inclusion(), receipt.view(), receipt.certificate().subList(0, 2));
        ReceiptVerifier.Result r = rv.verify(fewSignatures);
        assertFalse(r.valid());
        assertTrue(r.problem().contains("certificate"), r.problem());
        Receipt otherResult = new Receipt(receipt.header(), receipt.entryIndex(),
                new LedgerEntry(receipt.entry().transaction(), receipt.entry().requestDigest(),
                        receipt.entry().operationIndex(), !receipt.entry().accepted(), "changed"),
                receipt.entryPath(), receipt.request(), receipt.inclusion(), receipt.view(), receipt.certificate());
        assertFalse(rv.verify(otherResult).valid(), "the recorded result is part of the proof");
    }
}

package org.ehrledger.ejb.domain.model.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.junit.jupiter.api.Test;

/**
 * Freezes the ledger's chain format (docs/LEDGER-FORMAT.md): fixed inputs give fixed bytes and hashes. The
 * chain of {@link ChainFixture} (deterministic keys, deterministic Ed25519 signatures) is the test ledger whose
 * block hashes must never change; if one of these fails, an encoding changed and every existing chain would
 * stop verifying. Change an expected value only together with a new format version.
 */
class LedgerFormatVectorsTest {

    private static final Digest D1 = Digest.sha256("one".getBytes(StandardCharsets.UTF_8));
    private static final Digest D2 = Digest.sha256("two".getBytes(StandardCharsets.UTF_8));

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void aBlockHeaderEncodesAsTaggedBigEndianFieldsAndHashesToAFixedBlockHash() {
        BlockHeader h = new BlockHeader(7, D1, 3, D2, BlockHeader.NONE, 1_767_225_600_000L, 9, D1);
        assertEquals(
                "4548522d424c4b3100000000000000077692c3ad3540bb803c020b3aee66cd8887123234ea0c6e71"
                        + "43c0add73ff431ed000000033fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0db"
                        + "e685e2f300000000000000000000000000000000000000000000000000000000000000000000019b"
                        + "76daa80000000000000000097692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add7"
                        + "3ff431ed",
                hex(h.encode()));
        assertEquals("ded5f03bcf25b5b7939c42a152826e55c59b72bbb2bf74f3a73153a0461101dc", h.hash().hex());
    }

    @Test
    void aLedgerEntryEncodesItsTransactionPlaceAndVerdictAsAFixedMerkleLeaf() {
        LedgerEntry accepted = new LedgerEntry("tx".getBytes(StandardCharsets.UTF_8), D1, 2, true, "");
        LedgerEntry refused = new LedgerEntry("tx".getBytes(StandardCharsets.UTF_8), D1, 2, false, "consent required");
        assertEquals(
                "0000000274787692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed0000"
                        + "00020100000000",
                hex(accepted.encode()));
        assertEquals("7ddadfb080eb8b26a87cd116c5b6d5520a63313eb94e682603543660abb1efc7", accepted.leafHash().hex());
        assertEquals("f725f0ccdf1ad88985317e59536b004777a1c0c7f7122335a47ccca4b481aafb", refused.leafHash().hex());
        assertEquals("26168cc0dcffbcd55468bc1029c1a2deca5e9c7c3e55d034e7f4856560804ea3",
                Block.entriesRoot(List.of(accepted, refused, accepted)).hex());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Block.entriesRoot(List.of()).hex(), "the empty block's entries root");
    }

    @Test
    void theVersionOneStateDigestAndTheStateRowDigestAreFixed() {
        assertEquals("11914c19a28a98c57d12f3cce6c32b7944784f4b4781a706c24eb1dc284e2856",
                StateCommitment.legacy(D1, D2).hex());
        assertEquals("323b390da3e6be50491273557fc843c1308b8f4bc60142859df2fd75cf36e319",
                HexFormat.of().formatHex(StateCommitment.rowDigest("patient", "p-1", new byte[] {1, 2, 3})));
    }

    @Test
    void theTestLedgersBlockHashesAndStoredBlocksNeverChange() {
        ChainFixture chain = new ChainFixture().append(3, 2).append(1, 4).append(2, 1);
        List<String> hashes = chain.blocks.stream().map(b -> b.header().hash().hex()).toList();
        assertEquals(List.of(
                        "b0f281a36287d63aa177f2c02c876c2a05c50a25994fa1dfe1cee6a1560c1de1",
                        "dcf3e20c0663afeca1fa22ebf94584aae601bcc709d36f6df93b0f578c36eb1d",
                        "14312676b231c746dc2163fb21aa0bd02655ed9fc37b993ffa3da4b72bbc8049",
                        "8a9cbd9e6d40754914da7d953f9db4e047dfb7cc5b10deed0cd176721759cbbb"),
                hashes);
        Block last = chain.blocks.get(3);
        assertEquals("3806dac42f0e3445c89c854ad814d064b7da0607f3fe04fbdb8924bc66fc04d3",
                last.header().batchDigest().hex(), "the batch digest the commit certificate signs");
        assertEquals("c5b8cb06cc7fe206efee83a4947cf0b75418cf2bffa18669a5c510a6524a7a14",
                last.requests().get(0).digest().hex(), "a request digest");
        Wire.Writer w = new Wire.Writer(4096);
        BlockCodec.encode(last, w);
        assertEquals("25a8f0694ad94a92f9a4438eac3c40066b52acdcd4dceb741812847f7a6fa6e8",
                Digest.sha256(w.toBytes()).hex(), "the stored block (with its certificate)");
        assertTrue(new ChainVerifier(chain.genesis).verify(chain.blocks).valid(), "the test ledger verifies");
    }
}

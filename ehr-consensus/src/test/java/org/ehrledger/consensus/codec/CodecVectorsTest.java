package org.ehrledger.consensus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.RequestSkeleton;
import org.junit.jupiter.api.Test;

/**
 * Freezes codec version 1 (see package-info): fixed inputs give fixed bytes and hashes. Ledger blocks are
 * hashed with this codec and commit to the proof formats below (request skeletons, batch digests, commit
 * signatures), so a failure here means every existing chain would stop verifying. Change an expected value
 * only together with a new, versioned format.
 */
class CodecVectorsTest {

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static Digest sha(String s) {
        return Digest.sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void primitivesAreBigEndianAndByteStringsAreLengthPrefixed() {
        byte[] out = new Wire.Writer(0).u8(0xab).i32(0x01020304).i64(-2L).bytes(new byte[] {9, 8})
                .optionalBytes(null).optionalBytes(new byte[0]).raw(new byte[] {7}).toBytes();
        assertEquals("ab01020304fffffffffffffffe000000020908ffffffff0000000007", hex(out));
    }

    @Test
    void aDigestIsTheSha256OfItsInputWrittenAsItsThirtyTwoBytes() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha("abc").hex());
        assertEquals(sha("abc").hex(), hex(new Wire.Writer(0).digest(sha("abc")).toBytes()));
    }

    @Test
    void merkleRootsAndAuditPathsFollowRfc9162() {
        List<Digest> leaves = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            leaves.add(MerkleTree.leafHash(new byte[] {(byte) i}));
        }
        assertEquals("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                leaves.get(0).hex(), "leaf hash H(0x00 || leaf)");
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                MerkleTree.root(List.of()).hex());
        assertEquals("a20bf9a7cc2dc8a08f5f415a71b19f6ac427bab54d24eec868b5d3103449953a",
                MerkleTree.root(leaves.subList(0, 2)).hex());
        assertEquals("b855b42d6c30f5b087e05266783fbd6e394f7b926013ccaa67700a8b0c5a596f", MerkleTree.root(leaves).hex());
        assertEquals(List.of(
                        "fcf0a6c700dd13e274b6fba8deea8dd9b26e4eedde3495717cac8408c9c5177f",
                        "a20bf9a7cc2dc8a08f5f415a71b19f6ac427bab54d24eec868b5d3103449953a",
                        "4f35212d12f9ad2036492c95f1fe79baf4ec7bd9bef3dffa7579f2293ff546a4"),
                MerkleTree.auditPath(leaves, 3).stream().map(Digest::hex).toList());
    }

    @Test
    void theProofFormatsABlockCommitsToAreFixed() {
        byte[] signature = new byte[64];
        java.util.Arrays.fill(signature, (byte) 0x5a);
        RequestSkeleton request = new RequestSkeleton(1000, 42, List.of(sha("op-1"), sha("op-2")), signature);
        assertEquals(
                "4548522d52455133000003e8000000000000002a0000000271a0ef7195df486543f63f0cb1dff83e"
                        + "e245c10fb566219b128a7fa99a8bbbace85fddc91eb032ab01ba4273740111289939def3322ad7da"
                        + "2c163273fa3e19d4",
                hex(request.signedBytes()), "what a client signs");
        assertEquals("8451453b298dda3e67971ab66076f8c978e9c7ce9e9834d6d13e26a684c1856b",
                request.digest().hex(), "the request digest");
        Wire.Writer w = new Wire.Writer(0);
        request.encode(w);
        assertEquals("86aa0bcc6312cde50bb3de2e50901a29c3715ef7bc234b17121bbeab73226c2b",
                Digest.sha256(w.toBytes()).hex(), "a stored request skeleton");
        Digest batch = Batch.digestOf(1_767_225_600_000L, 1, MerkleTree.root(List.of(MerkleTree.leafHash(request.digest().unsafeBytes()))));
        assertEquals("5067ae7b3734dc6a025fd2d3c4c7bacaef49b07fb9d25d3d19796cf5efa774e8",
                batch.hex(), "the batch digest");
        assertEquals(
                "4548522d434f4d31000000000000000300000000000000115067ae7b3734dc6a025fd2d3c4c7baca"
                        + "ef49b07fb9d25d3d19796cf5efa774e800000002",
                hex(Commit.signedBytes(3, 17, batch, 2)), "what a replica's commit signs");
        Wire.Writer c = new Wire.Writer(0);
        new Commit(3, 17, batch, 2, signature).encode(c);
        assertEquals("9cac7b96bd6f6e4d15978621c171d3f25ba43ad88f35f93648c70e3b6032bfce",
                Digest.sha256(c.toBytes()).hex(), "a stored commit");
    }
}

package org.ehrledger.ejb.domain.model.ledger;

import java.util.Arrays;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.CommitCertificate;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;

/**
 * Checks a {@link Receipt} with the genesis configuration alone — no database, no network, no trust in
 * the replica that served it. A patient or auditor learns "this transaction is in block N, ordered by
 * 2f+1 replicas", or exactly why not.
 */
public final class ReceiptVerifier {

    private final ClusterConfig genesis;

    /** A verifier for the network described by a genesis configuration. */
    public ReceiptVerifier(ClusterConfig genesis) {
        this.genesis = genesis;
    }

    /** The outcome: {@code valid}, or the first check that failed. */
    public record Result(boolean valid, String problem) {
        static Result ok() {
            return new Result(true, "");
        }

        static Result fail(String problem) {
            return new Result(false, problem);
        }
    }

    /** Verifies the receipt of a transaction whose exact bytes the caller holds. */
    public Result verify(Receipt receipt, byte[] transaction) {
        if (!Arrays.equals(receipt.entry().transaction(), transaction)) {
            return Result.fail("the receipt is for another transaction");
        }
        return verify(receipt);
    }

    /** Verifies a receipt. */
    public Result verify(Receipt receipt) {
        Result inclusion = verifyInclusion(receipt);
        if (!inclusion.valid()) {
            return inclusion;
        }
        return verifyCertificate(receipt);
    }

    /** The commit certificate of the receipt's batch (the same for every receipt of a block). */
    public Result verifyCertificate(Receipt receipt) {
        BlockHeader h = receipt.header();
        String problem = CommitCertificate.check(genesis, receipt.view(), h.sequence(), h.batchDigest(),
                receipt.certificate());
        return problem == null ? Result.ok() : Result.fail("the commit certificate does not prove the batch: " + problem);
    }

    /** Everything but the commit certificate: the entry is in the block, and the block's batch carried it. */
    public Result verifyInclusion(Receipt receipt) {
        BlockHeader h = receipt.header();
        Digest root = MerkleTree.rootFromPath(receipt.entry().leafHash(), receipt.entryIndex(), h.entryCount(),
                receipt.entryPath());
        if (!h.entriesRoot().equals(root)) {
            return Result.fail("the entry is not in block " + h.height() + " (Merkle path does not lead to its root)");
        }
        RequestProof request = receipt.request();
        if (!request.digest().equals(receipt.entry().requestDigest())) {
            return Result.fail("the entry names another consensus request");
        }
        int op = receipt.entry().operationIndex();
        if (op < 0 || op >= request.operationDigests().size()
                || !request.operationDigests().get(op).equals(Digest.sha256(receipt.entry().transaction()))) {
            return Result.fail("the transaction is not the one the consensus request carried");
        }
        Digest batch = receipt.inclusion().batchDigest(request.digest());
        if (batch == null || !batch.equals(h.batchDigest())) {
            return Result.fail("the request is not in the batch recorded by block " + h.height());
        }
        if (receipt.inclusion().timestamp() != h.timestamp()) {
            return Result.fail("the block timestamp differs from the ordered batch's");
        }
        return Result.ok();
    }
}

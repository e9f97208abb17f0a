package org.ehrledger.ejb.application.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.Receipt;
import org.ehrledger.ejb.domain.model.ledger.ReceiptVerifier;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;

/**
 * Receipts of transactions from this replica's blocks, checked against the genesis replica keys before
 * they are handed out. Used by the interfaces right after a write (the writer gets the receipt of what it
 * just committed) and by {@link NetworkService#receipt} for a transaction's author later.
 */
@ApplicationScoped
public class ReceiptIssuer {

    @Inject
    LedgerRuntime ledger;

    @Inject
    ConsensusGateway gateway;

    /** Per recent block (height and hash): its certificate check and its Merkle leaves, computed once. */
    private final java.util.concurrent.ConcurrentHashMap<String, ReceiptVerifier.Result> certificates =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Block.Leaves> leaves =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A receipt and whether it verifies here. */
    public record CheckedReceipt(Receipt receipt, boolean verified, String problem) {
    }

    /** The receipt of a write just committed for the caller ({@code committed} came from the writer). */
    public CheckedReceipt issue(Committed committed) {
        return issue(committed.height(), committed.index(), null);
    }

    /** The receipt of entry {@code index} of block {@code height}; only for {@code author} unless null. */
    CheckedReceipt issue(long height, int index, String author) {
        Block b = ledger.recentBlock(height);
        if (b == null || index < 0 || index >= b.entries().size()) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no transaction " + index + " in block " + height + " here");
        }
        if (author != null) {
            String signer;
            try {
                signer = SignedTransaction.decode(b.entries().get(index).transaction()).author();
            } catch (RuntimeException e) {
                signer = "";
            }
            if (!signer.equals(author)) {
                throw new EhrException(ErrorCode.FORBIDDEN, "receipts are given to the transaction's author only");
            }
        }
        String key = height + ":" + b.header().hash().hex();
        Block.Leaves leaves = this.leaves.computeIfAbsent(key, k -> b.leaves());
        if (this.leaves.size() > 256) {
            this.leaves.clear();
        }
        Receipt r = b.receipt(index, leaves);
        var genesis = gateway.genesis();
        if (genesis == null) {
            return new CheckedReceipt(r, false, "no genesis configuration");
        }
        ReceiptVerifier verifier = new ReceiptVerifier(genesis);
        ReceiptVerifier.Result v = verifier.verifyInclusion(r);
        if (v.valid()) {
            // Every receipt of a block shares its certificate: checked once per block.
            v = certificates.computeIfAbsent(key, k -> verifier.verifyCertificate(r));
            if (certificates.size() > 256) {
                certificates.clear();
            }
        }
        return new CheckedReceipt(r, v.valid(), v.problem());
    }
}

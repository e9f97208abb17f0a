package org.ehrledger.ejb.application.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
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

    @EJB
    ConsensusGateway gateway;

    /** What all receipts of one block share: its Merkle leaves and its certificate check. */
    private record Proof(Block.Leaves leaves, ReceiptVerifier.Result certificate) {
    }

    /** Per recent block (height and hash), computed once. */
    private final java.util.concurrent.ConcurrentHashMap<String, Proof> proofs = new java.util.concurrent.ConcurrentHashMap<>();

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
        var genesis = gateway.genesis();
        if (genesis == null) {
            return new CheckedReceipt(b.receipt(index), false, "no genesis configuration");
        }
        ReceiptVerifier verifier = new ReceiptVerifier(genesis);
        Proof proof = proofs.computeIfAbsent(height + ":" + b.header().hash().hex(), k -> {
            Block.Leaves leaves = b.leaves();
            // Every receipt of a block shares its certificate: checked once per block.
            return new Proof(leaves, verifier.verifyCertificate(b.receipt(0, leaves)));
        });
        if (proofs.size() > 256) {
            proofs.clear();
        }
        Receipt r = b.receipt(index, proof.leaves());
        ReceiptVerifier.Result v = verifier.verifyInclusion(r);
        if (v.valid()) {
            v = proof.certificate();
        }
        return new CheckedReceipt(r, v.valid(), v.problem());
    }
}

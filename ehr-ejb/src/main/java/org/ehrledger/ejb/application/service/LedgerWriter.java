package org.ehrledger.ejb.application.service;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerResult;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;
import org.ehrledger.ejb.infrastructure.crypto.Providers;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Signs transactions as a person and commits them through the consensus gateway: the shared write
 * path of every session bean. A refusal by the contracts (recorded on chain with its reason) becomes
 * {@link ErrorCode#REFUSED}.
 */
@ApplicationScoped
public class LedgerWriter {

    /** How a refusal's message says where the chain keeps it: {@code " (refusal recorded in block <height>)"}. */
    private static final String RECORDED_IN = " (refusal recorded in block ";

    /** Where the chain keeps a refusal thrown by {@link #commitAll}: its message's ending, or "" for other failures. */
    static String whereRecorded(EhrException refused) {
        String m = refused.getMessage();
        int at = m == null ? -1 : m.lastIndexOf(RECORDED_IN);
        return at < 0 ? "" : m.substring(at);
    }


    /** How long to wait for this replica to store a block the network already committed. */
    private static final long LOCAL_WAIT_MILLIS = 5_000;

    @EJB
    ConsensusGateway gateway;

    @Inject
    LedgerRuntime ledger;

    /** A transaction signed by {@code author}, with a random nonce so that equal bodies stay distinct. */
    public static byte[] sign(UserKeys keys, String author, TxType type, Fields body) {
        long nonce = java.nio.ByteBuffer.wrap(Providers.randomBytes(8)).getLong() & Long.MAX_VALUE;
        byte[] signature = keys.sign(SignedTransaction.signedBytes(type, author, nonce, body));
        return new SignedTransaction(type, author, nonce, body, signature).encode();
    }

    /** An access transaction: {@code reader} reads {@code category} of {@code patient}, for {@code reason}. */
    public static Signed recordAccess(UserKeys keys, String reader, String patient,
                                      org.ehrledger.ejb.domain.model.record.Category category, String reason) {
        return new Signed(sign(keys, reader, TxType.RECORD_ACCESS, Fields.builder().put("patient", patient)
                .put("category", category.name()).put("reason", reason).build()), null);
    }

    /** A signed transaction and, for record types, the ciphertext it commits to (else null). */
    public record Signed(byte[] transaction, byte[] content) {
    }

    /** Commits one transaction (with its content, if any). */
    public Committed commit(Signed tx) {
        return commitAll(List.of(tx)).get(0);
    }

    /**
     * Commits transactions together, in order, in one consensus request (e.g. a registration and the
     * first demographics record); all were accepted, or the first refusal is thrown.
     */
    public List<Committed> commitAll(List<Signed> txs) {
        List<byte[]> ops = new ArrayList<>();
        List<Integer> txPositions = new ArrayList<>();
        for (Signed s : txs) {
            txPositions.add(ops.size());
            ops.add(s.transaction());
            if (s.content() != null) {
                ops.add(s.content());
            }
        }
        List<LedgerResult> results = gateway.submit(ops);
        List<Committed> out = new ArrayList<>();
        long highest = 0;
        for (int i = 0; i < txs.size(); i++) {
            LedgerResult r = results.get(txPositions.get(i));
            if (!r.accepted()) {
                throw new EhrException(ErrorCode.REFUSED, r.reason() + RECORDED_IN + r.height() + ")");
            }
            highest = Math.max(highest, r.height());
            out.add(new Committed(Digest.sha256(txs.get(i).transaction()).hex(), r.height(), r.index(), null));
        }
        if (!gateway.awaitHeight(highest, LOCAL_WAIT_MILLIS)) {
            return out; // committed by a quorum; this replica will catch up (block hash not yet known here)
        }
        List<Committed> withHashes = new ArrayList<>(out.size());
        for (Committed c : out) {
            String hash = gateway.recentBlockHash(c.height());
            if (hash == null) {
                BlockHeader h = ledger.header(c.height());
                hash = h == null ? null : h.hash().hex();
            }
            withHashes.add(new Committed(c.transactionId(), c.height(), c.index(), hash));
        }
        return withHashes;
    }
}

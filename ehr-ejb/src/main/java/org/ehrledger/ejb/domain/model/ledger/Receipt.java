package org.ehrledger.ejb.domain.model.ledger;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.api.BatchInclusion;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;

/**
 * Everything a third party needs to check, offline, that a transaction is in block {@code header.height}
 * and was ordered by the replicas: the entry and its Merkle path to the header, the consensus request
 * that carried it with the request's path to the batch digest, and the commit certificate.
 *
 * @param header       the block header
 * @param entryIndex   position of the entry in the block
 * @param entry        the entry (transaction and result)
 * @param entryPath    Merkle audit path of the entry up to {@code header.entriesRoot}
 * @param request      the proof (skeleton) of the consensus request that carried the transaction
 * @param inclusion    audit path of that request up to the batch digest
 * @param view         view of the commit certificate
 * @param certificate  2f+1 signed commits for (view, header.sequence, header.batchDigest)
 */
public record Receipt(BlockHeader header, int entryIndex, LedgerEntry entry, List<Digest> entryPath,
                      RequestProof request,
                      BatchInclusion inclusion, long view, List<SignedCommit> certificate) {
}

package org.ehrledger.ejb.domain.model.ledger;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/**
 * The hashed part of a block.
 *
 * @param height        position in the chain; the genesis block is 0
 * @param previousHash  hash of the previous block's header (zeros for genesis)
 * @param entryCount    number of entries
 * @param entriesRoot   Merkle root over the block's entries (transactions with their results)
 * @param stateDigest   digest of the ledger state after executing the block
 * @param timestamp     consensus timestamp, epoch milliseconds
 * @param sequence      consensus sequence number of the batch
 * @param batchDigest   digest of the consensus batch, signed by the commit certificate
 */
public record BlockHeader(long height, Digest previousHash, int entryCount, Digest entriesRoot, Digest stateDigest, long timestamp,
                          long sequence, Digest batchDigest) {

    /** Hash of a zero-filled digest: the previous hash of the genesis block. */
    public static final Digest NONE = Digest.of(new byte[Digest.LENGTH]);

    /** Canonical encoding. */
    public byte[] encode() {
        return new Wire.Writer(200).raw("EHR-BLK1".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .i64(height).digest(previousHash).i32(entryCount).digest(entriesRoot).digest(stateDigest).i64(timestamp)
                .i64(sequence).digest(batchDigest).toBytes();
    }

    /** The block hash: SHA-256 of the canonical header. */
    public Digest hash() {
        return Digest.sha256(encode());
    }
}

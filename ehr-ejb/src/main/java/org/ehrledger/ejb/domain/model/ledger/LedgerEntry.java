package org.ehrledger.ejb.domain.model.ledger;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.codec.Wire;

/**
 * One transaction as recorded in a block: its signed bytes exactly as ordered, where consensus put it
 * (the digest of the client request that carried it and its index there), and the contract's verdict.
 *
 * @param transaction    the transaction bytes as submitted (signed by its author)
 * @param requestDigest  digest of the consensus request that carried it
 * @param operationIndex its index within that request
 * @param accepted       whether the contract accepted it
 * @param reason         why it was rejected (empty when accepted)
 */
public record LedgerEntry(byte[] transaction, Digest requestDigest, int operationIndex, boolean accepted,
                          String reason) {

    /** Canonical encoding: the Merkle leaf of this entry. */
    public byte[] encode() {
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        return new Wire.Writer(transaction.length + why.length + 64).bytes(transaction).digest(requestDigest)
                .i32(operationIndex).u8(accepted ? 1 : 0).bytes(why).toBytes();
    }

    /** Decodes {@link #encode()}. */
    public static LedgerEntry decode(byte[] encoded) {
        Wire.Reader r = new Wire.Reader(encoded);
        LedgerEntry e = new LedgerEntry(r.bytes(), r.digest(), r.i32(), r.flag(),
                new String(r.bytes(), StandardCharsets.UTF_8));
        r.expectEnd();
        return e;
    }

    /** Merkle leaf hash of this entry. */
    public Digest leafHash() {
        return MerkleTree.leafHash(encode());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LedgerEntry e && Arrays.equals(encode(), e.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }
}

package org.ehrledger.ejb.application.ledger;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Wire;

/**
 * What a submitter learns about its transaction once f+1 replicas agree: accepted or the precise
 * refusal, and where it is on chain (block height and entry index), from which a receipt is built.
 */
public record LedgerResult(boolean accepted, String reason, long height, int index) {

    /** Encoding returned through consensus. */
    public byte[] encode() {
        return new Wire.Writer(32 + reason.length() * 3).u8(accepted ? 1 : 0)
                .bytes(reason.getBytes(StandardCharsets.UTF_8)).i64(height).i32(index).toBytes();
    }

    /** Decodes {@link #encode()}. */
    public static LedgerResult decode(byte[] encoded) {
        Wire.Reader r = new Wire.Reader(encoded);
        LedgerResult out = new LedgerResult(r.flag(), new String(r.bytes(), StandardCharsets.UTF_8), r.i64(), r.i32());
        r.expectEnd();
        return out;
    }
}

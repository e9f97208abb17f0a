package org.ehrledger.ejb.domain.model.tx;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;

/**
 * A transaction as submitted: type, author id, a client nonce (unique per author), the body, and the
 * author's Ed25519 signature over all of them. {@link #encode()} is exactly what is ordered and what
 * the block records.
 *
 * @param type      what the transaction does
 * @param author    the user id whose registered key must verify the signature
 * @param nonce     unique per author (client time in microseconds or a counter), against replays
 * @param body      the typed fields
 * @param signature the author's signature over {@link #signedBytes()}
 */
public record SignedTransaction(TxType type, String author, long nonce, Fields body, byte[] signature) {

    private static final byte[] TAG = "EHR-TX1".getBytes(StandardCharsets.US_ASCII);

    /** The bytes the author signs. */
    public static byte[] signedBytes(TxType type, String author, long nonce, Fields body) {
        byte[] b = body.encode();
        return new Wire.Writer(b.length + 64).raw(TAG).u8(type.code())
                .bytes(author.getBytes(StandardCharsets.UTF_8)).i64(nonce).bytes(b).toBytes();
    }

    /** The bytes this transaction's signature covers. */
    public byte[] signedBytes() {
        return signedBytes(type, author, nonce, body);
    }

    /** Canonical encoding: what consensus orders and the ledger records. */
    public byte[] encode() {
        byte[] b = body.encode();
        return new Wire.Writer(b.length + 128).u8(type.code()).bytes(author.getBytes(StandardCharsets.UTF_8))
                .i64(nonce).bytes(b).bytes(signature).toBytes();
    }

    /** Transaction id: SHA-256 of the encoding. */
    public Digest id() {
        return Digest.sha256(encode());
    }

    /**
     * Decodes a transaction.
     *
     * @throws MalformedMessageException with the reason if the bytes are not a well-formed transaction
     */
    public static SignedTransaction decode(byte[] encoded) {
        Wire.Reader r = new Wire.Reader(encoded);
        int t = r.u8();
        TxType type = TxType.of(t);
        if (type == null) {
            throw new MalformedMessageException("unknown transaction type " + t);
        }
        byte[] authorBytes = r.bytes();
        if (authorBytes.length > 128) {
            throw new MalformedMessageException("author id longer than 128 bytes");
        }
        String author = Fields.utf8(authorBytes);
        long nonce = r.i64();
        Wire.Reader body = new Wire.Reader(r.bytes());
        Fields fields = Fields.decode(body);
        body.expectEnd();
        byte[] sig = r.bytes();
        r.expectEnd();
        SignedTransaction tx = new SignedTransaction(type, author, nonce, fields, sig);
        if (!java.util.Arrays.equals(tx.encode(), encoded)) {
            throw new MalformedMessageException("not the canonical encoding of a transaction");
        }
        return tx;
    }
}

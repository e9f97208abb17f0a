package org.ehrledger.consensus.api;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/**
 * One replica's signed commit of (view, sequence, batch digest). 2f+1 of them from distinct replicas are the
 * commit certificate of an ordered batch ({@link CommitCertificate}), a proof any third party checks with the
 * genesis keys. Its signed bytes and encoding are part of the frozen chain format (docs/LEDGER-FORMAT.md).
 *
 * @param view       view of the commit
 * @param sequence   sequence number of the batch
 * @param digest     digest of the batch
 * @param replica    the replica that signed
 * @param signature  its Ed25519 signature over {@link #signedBytes()}
 */
public record SignedCommit(long view, long sequence, Digest digest, int replica, byte[] signature) {

    private static final byte[] TAG = "EHR-COM1".getBytes(StandardCharsets.US_ASCII);

    /** Bytes signed by the replica. */
    public static byte[] signedBytes(long view, long sequence, Digest digest, int replica) {
        return new Wire.Writer(60).raw(TAG).i64(view).i64(sequence).digest(digest).i32(replica).toBytes();
    }

    /** Bytes covered by this commit's signature. */
    public byte[] signedBytes() {
        return signedBytes(view, sequence, digest, replica);
    }

    /** Canonical encoding. */
    public void encode(Wire.Writer w) {
        w.i64(view).i64(sequence).digest(digest).i32(replica).bytes(signature);
    }

    /** Decodes {@link #encode}. */
    public static SignedCommit decode(Wire.Reader r) {
        return new SignedCommit(r.u63("view"), r.u63("sequence"), r.digest(), r.i32(), r.bytes());
    }
}

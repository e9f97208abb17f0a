package org.ehrledger.consensus.message;

import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/**
 * A replica's commit of (view, sequence, digest). 2f+1 of them from distinct replicas form the commit
 * certificate attached to every executed batch, a proof any third party can check with the genesis keys.
 */
public record Commit(long view, long sequence, Digest digest, int replica, byte[] signature) implements Message {

    /** Bytes signed by the replica. */
    public static byte[] signedBytes(long view, long sequence, Digest digest, int replica) {
        return SignedCommit.signedBytes(view, sequence, digest, replica);
    }

    /** This commit as the application sees it in a commit certificate. */
    public SignedCommit signed() {
        return new SignedCommit(view, sequence, digest, replica, signature);
    }

    /** Bytes covered by this commit's signature. */
    public byte[] signedBytes() {
        return signedBytes(view, sequence, digest, replica);
    }

    @Override
    public MessageType type() {
        return MessageType.COMMIT;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(view).i64(sequence).digest(digest).i32(replica).bytes(signature);
    }

    /** Decodes a commit. */
    public static Commit decode(Wire.Reader r) {
        return new Commit(r.u63("view"), r.u63("sequence"), r.digest(), r.i32(), r.bytes());
    }
}

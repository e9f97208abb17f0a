package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/** Asks for the content of a batch known only by digest (e.g. re-proposed in a new view). */
public record FetchBatch(Digest digest) implements Message {

    @Override
    public MessageType type() {
        return MessageType.FETCH_BATCH;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.digest(digest);
    }

    /** Decodes a fetch. */
    public static FetchBatch decode(Wire.Reader r) {
        return new FetchBatch(r.digest());
    }
}

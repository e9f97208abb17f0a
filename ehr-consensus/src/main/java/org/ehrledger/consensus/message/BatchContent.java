package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.Wire;

/** The content of a batch, answering {@link FetchBatch}; the receiver checks it against the digest it asked for. */
public record BatchContent(Batch batch) implements Message {

    @Override
    public MessageType type() {
        return MessageType.BATCH_CONTENT;
    }

    @Override
    public void encode(Wire.Writer w) {
        batch.encode(w);
    }

    /** Decodes batch content. */
    public static BatchContent decode(Wire.Reader r) {
        return new BatchContent(Batch.decode(r));
    }
}

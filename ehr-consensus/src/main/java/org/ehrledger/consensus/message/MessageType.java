package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;

/** Wire tags of the protocol messages. */
public enum MessageType {
    REQUEST(1), PRE_PREPARE(2), PREPARE(3), COMMIT(4), REPLY(5), CHECKPOINT(6), VIEW_CHANGE(7), NEW_VIEW(8),
    STATE_REQUEST(9), STATE_RESPONSE(10), FETCH_BATCH(11), BATCH_CONTENT(12);

    private final int tag;

    MessageType(int tag) {
        this.tag = tag;
    }

    /** The byte written on the wire. */
    public int tag() {
        return tag;
    }

    /** The type for a wire tag. */
    public static MessageType of(int tag) {
        for (MessageType t : values()) {
            if (t.tag == tag) {
                return t;
            }
        }
        throw new MalformedMessageException("unknown message type " + tag);
    }
}

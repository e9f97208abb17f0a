package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.Wire;

/** Asks the other replicas for state after {@code lastExecuted}, by a replica that is behind or restarting. */
public record StateRequest(long lastExecuted, long view) implements Message {

    @Override
    public MessageType type() {
        return MessageType.STATE_REQUEST;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i64(lastExecuted).i64(view);
    }

    /** Decodes a state request. */
    public static StateRequest decode(Wire.Reader r) {
        return new StateRequest(r.u63("last executed"), r.u63("view"));
    }
}

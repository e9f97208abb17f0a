package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.Wire;

/** A protocol message; {@link #type()} is its tag on the wire. */
public sealed interface Message
        permits Request, PrePrepare, Prepare, Commit, ReplyBatch, Checkpoint, ViewChange, NewView,
        StateRequest, StateResponse, FetchBatch, BatchContent {

    /** The wire tag of this message. */
    MessageType type();

    /** Encodes the body (without envelope) into a writer. */
    void encode(Wire.Writer w);
}

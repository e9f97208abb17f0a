package org.ehrledger.consensus.message;

import java.util.List;

import org.ehrledger.consensus.codec.Wire;

/**
 * The results for one client from one executed batch, sent by one replica. Grouping the replies per
 * client and batch keeps the message count independent of the request rate.
 */
public record ReplyBatch(int replica, long view, int clientId, List<Reply> replies) implements Message {

    /** The result of the request with the given client timestamp. */
    public record Reply(long timestamp, byte[] result) {
    }

    @Override
    public MessageType type() {
        return MessageType.REPLY;
    }

    @Override
    public void encode(Wire.Writer w) {
        w.i32(replica).i64(view).i32(clientId).i32(replies.size());
        for (Reply r : replies) {
            w.i64(r.timestamp()).bytes(r.result());
        }
    }

    /** Decodes a reply batch. */
    public static ReplyBatch decode(Wire.Reader r) {
        int replica = r.i32();
        long view = r.u63("view");
        int client = r.i32();
        List<Reply> replies = r.list(12, x -> new Reply(x.i64(), x.bytes()));
        return new ReplyBatch(replica, view, client, replies);
    }
}

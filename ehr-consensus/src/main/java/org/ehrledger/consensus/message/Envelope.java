package org.ehrledger.consensus.message;

import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.consensus.crypto.NodeCrypto;

/**
 * The authenticated wire frame of every message: {@code version, type, sender, receiver, body, mac}.
 * The HMAC-SHA256 covers everything before it under the sender-receiver link key, so a forged,
 * altered or misdirected frame is dropped before its body is even decoded.
 */
public record Envelope(int sender, int receiver, Message message) {

    /** Frame format version. */
    public static final int VERSION = 1;

    private static final int HEADER = 1 + 1 + 4 + 4;
    private static final int RECEIVER_OFFSET = 6;

    /** Largest frame accepted (state responses carry snapshots). */
    public static final int MAX_FRAME = 64 * 1024 * 1024;

    /** A message encoded once, sealed for any number of receivers. */
    public static final class Sealed {
        private final NodeCrypto crypto;
        private final byte[] frame;

        private Sealed(NodeCrypto crypto, Message message) {
            this.crypto = crypto;
            Wire.Writer w = new Wire.Writer(256);
            w.u8(VERSION).u8(message.type().tag()).i32(crypto.id()).i32(-1);
            message.encode(w);
            w.raw(new byte[NodeCrypto.MAC_LENGTH]);
            this.frame = w.toBytes();
        }

        /** The frame for one receiver, with its MAC; null if the receiver has no known key. */
        public byte[] to(int receiver) {
            byte[] f = frame.clone();
            f[RECEIVER_OFFSET] = (byte) (receiver >>> 24);
            f[RECEIVER_OFFSET + 1] = (byte) (receiver >>> 16);
            f[RECEIVER_OFFSET + 2] = (byte) (receiver >>> 8);
            f[RECEIVER_OFFSET + 3] = (byte) receiver;
            int macAt = f.length - NodeCrypto.MAC_LENGTH;
            byte[] mac = crypto.mac(receiver, f, 0, macAt);
            if (mac == null) {
                return null;
            }
            System.arraycopy(mac, 0, f, macAt, mac.length);
            return f;
        }
    }

    /** Encodes a message once for sealing to one or more receivers. */
    public static Sealed seal(NodeCrypto crypto, Message message) {
        return new Sealed(crypto, message);
    }

    /** Reads the claimed sender of a frame without authenticating it (for routing diagnostics only). */
    public static int claimedSender(byte[] frame) {
        if (frame.length < HEADER) {
            return -1;
        }
        return new Wire.Reader(frame, 2, 4).i32();
    }

    /**
     * Authenticates and decodes a frame addressed to the node of {@code crypto}.
     *
     * @throws MalformedMessageException if the frame is malformed, misdirected or fails authentication
     */
    public static Envelope open(NodeCrypto crypto, byte[] frame) {
        if (frame.length < HEADER + NodeCrypto.MAC_LENGTH || frame.length > MAX_FRAME) {
            throw new MalformedMessageException("frame of " + frame.length + " bytes");
        }
        Wire.Reader header = new Wire.Reader(frame, 0, HEADER);
        int version = header.u8();
        if (version != VERSION) {
            throw new MalformedMessageException("unsupported frame version " + version);
        }
        MessageType type = MessageType.of(header.u8());
        int sender = header.i32();
        int receiver = header.i32();
        if (receiver != crypto.id()) {
            throw new MalformedMessageException("frame for node " + receiver + " delivered to " + crypto.id());
        }
        int macAt = frame.length - NodeCrypto.MAC_LENGTH;
        if (!crypto.checkMac(sender, frame, 0, macAt, frame, macAt)) {
            throw new MalformedMessageException("bad MAC on frame claiming to be from node " + sender);
        }
        Wire.Reader body = new Wire.Reader(frame, HEADER, macAt - HEADER);
        Message m = switch (type) {
            case REQUEST -> Request.decode(body);
            case PRE_PREPARE -> PrePrepare.decode(body);
            case PREPARE -> Prepare.decode(body);
            case COMMIT -> Commit.decode(body);
            case REPLY -> ReplyBatch.decode(body);
            case CHECKPOINT -> Checkpoint.decode(body);
            case VIEW_CHANGE -> ViewChange.decode(body);
            case NEW_VIEW -> NewView.decode(body);
            case STATE_REQUEST -> StateRequest.decode(body);
            case STATE_RESPONSE -> StateResponse.decode(body);
            case FETCH_BATCH -> FetchBatch.decode(body);
            case BATCH_CONTENT -> BatchContent.decode(body);
        };
        body.expectEnd();
        return new Envelope(sender, receiver, m);
    }
}

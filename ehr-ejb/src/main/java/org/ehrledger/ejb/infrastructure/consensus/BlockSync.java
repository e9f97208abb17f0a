package org.ehrledger.ejb.infrastructure.consensus;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.BlockSource;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockCodec;

/**
 * The replica-to-replica block synchronisation protocol, carried by mutual TLS 1.3 with the genesis keys
 * ({@link BlockSyncServer}, {@link PeerBlockSource}): the TLS handshake authenticates both replicas, so the
 * frames carry no signatures. One request per connection.
 *
 * <p>Request, 17 bytes: {@code "EHRB"}, version 1 (u8), first height (i64), most blocks (i32). Answer: a status
 * (u8, 0 = blocks) then a length-prefixed body: the blocks as {@link #encode}, or for a refusal the
 * {@link ErrorCode} name and a message (UTF-8, each length-prefixed).
 */
public final class BlockSync {

    /** Most blocks per answer. */
    public static final int MAX_BLOCKS = 64;
    /** Largest answer a replica sends or accepts; a longer run of blocks is cut short (at least one block). */
    public static final int MAX_ANSWER_BYTES = 32 << 20;
    /** Default listening port: the replica's genesis JGroups port plus this. */
    public static final int PORT_OFFSET = 200;
    /** Longest time a handshake, request or answer may take on the link. */
    public static final int IO_TIMEOUT_MILLIS = 10_000;

    static final byte[] MAGIC = {'E', 'H', 'R', 'B'};
    static final int VERSION = 1;
    static final int REQUEST_BYTES = MAGIC.length + 1 + 8 + 4;
    static final int BLOCKS = 0;
    static final int REFUSED = 1;
    private static final int MAX_REFUSAL_BYTES = 1024;

    private BlockSync() {
    }

    /** A request for up to {@code max} blocks from height {@code from}. */
    record Request(long from, int max) {
    }

    static void writeRequest(DataOutputStream out, Request r) throws IOException {
        out.write(MAGIC);
        out.writeByte(VERSION);
        out.writeLong(r.from());
        out.writeInt(r.max());
        out.flush();
    }

    /**
     * Reads a request strictly.
     *
     * @throws EhrException {@link ErrorCode#INVALID_INPUT} for anything that is not a request of this version
     */
    static Request readRequest(DataInputStream in) throws IOException {
        byte[] frame = new byte[REQUEST_BYTES];
        in.readFully(frame);
        for (int i = 0; i < MAGIC.length; i++) {
            if (frame[i] != MAGIC[i]) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "not a block sync request");
            }
        }
        if (frame[MAGIC.length] != VERSION) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "block sync version " + frame[MAGIC.length]
                    + " is not spoken here (version " + VERSION + ")");
        }
        Wire.Reader r = new Wire.Reader(frame, MAGIC.length + 1, 12);
        long from = r.i64();
        int max = r.i32();
        if (from < 0 || max < 1) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "blocks from height " + from + ", at most " + max);
        }
        return new Request(from, Math.min(max, MAX_BLOCKS));
    }

    static void writeBlocks(DataOutputStream out, byte[] answer) throws IOException {
        out.writeByte(BLOCKS);
        out.writeInt(answer.length);
        out.write(answer);
        out.flush();
    }

    static void writeRefusal(DataOutputStream out, ErrorCode code, String message) throws IOException {
        byte[] name = code.name().getBytes(StandardCharsets.US_ASCII);
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_REFUSAL_BYTES - name.length - 8) {
            text = java.util.Arrays.copyOf(text, MAX_REFUSAL_BYTES - name.length - 8);
        }
        byte[] body = new Wire.Writer(name.length + text.length + 8).bytes(name).bytes(text).toBytes();
        out.writeByte(REFUSED);
        out.writeInt(body.length);
        out.write(body);
        out.flush();
    }

    /**
     * Reads an answer: the blocks, or the peer's refusal as an {@link EhrException} with its code.
     *
     * @throws IOException for a malformed or oversized answer
     */
    static BlockSource.Fetched readAnswer(DataInputStream in) throws IOException {
        int status = in.read();
        if (status < 0) {
            throw new EOFException("the peer closed the connection without an answer");
        }
        int length = in.readInt();
        int limit = status == BLOCKS ? MAX_ANSWER_BYTES : MAX_REFUSAL_BYTES;
        if (length < 0 || length > limit || (status != BLOCKS && status != REFUSED)) {
            throw new IOException("malformed answer (status " + status + ", " + length + " bytes)");
        }
        byte[] body = new byte[length];
        in.readFully(body);
        try {
            if (status == BLOCKS) {
                return decode(body);
            }
            Wire.Reader r = new Wire.Reader(body);
            String name = new String(r.bytes(), StandardCharsets.US_ASCII);
            String message = new String(r.bytes(), StandardCharsets.UTF_8);
            r.expectEnd();
            ErrorCode code;
            try {
                code = ErrorCode.valueOf(name);
            } catch (IllegalArgumentException e) {
                code = ErrorCode.UNAVAILABLE;
            }
            throw new EhrException(code, message);
        } catch (RuntimeException e) {
            if (e instanceof EhrException) {
                throw e;
            }
            throw new IOException("malformed answer: " + e.getMessage(), e);
        }
    }

    /** Encodes an answer. */
    public static byte[] encode(BlockSource.Fetched f) {
        Wire.Writer w = new Wire.Writer(64 * 1024).i32(f.blocks().size());
        for (Block b : f.blocks()) {
            BlockCodec.encode(b, w);
        }
        w.i32(f.contents().size());
        for (Map.Entry<String, byte[]> c : f.contents().entrySet()) {
            w.bytes(c.getKey().getBytes(StandardCharsets.UTF_8)).bytes(c.getValue());
        }
        return w.toBytes();
    }

    /** Decodes an answer (strictly; anything malformed throws). */
    public static BlockSource.Fetched decode(byte[] bytes) {
        Wire.Reader r = new Wire.Reader(bytes);
        int n = r.count(64);
        if (n > MAX_BLOCKS) {
            throw new IllegalArgumentException("too many blocks in one answer: " + n);
        }
        List<Block> blocks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            blocks.add(BlockCodec.decode(r));
        }
        int c = r.count(8);
        Map<String, byte[]> contents = new TreeMap<>();
        for (int i = 0; i < c; i++) {
            contents.put(new String(r.bytes(), StandardCharsets.UTF_8), r.bytes());
        }
        r.expectEnd();
        return new BlockSource.Fetched(blocks, contents);
    }
}

package org.ehrledger.ejb.infrastructure.consensus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.ehrledger.consensus.message.Wire;
import org.ehrledger.ejb.application.ledger.BlockSource;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockCodec;

/**
 * The replica-to-replica block synchronisation protocol over HTTP: what a replica signs to ask a peer for
 * blocks, and the binary form of the answer. Replicas authenticate with their consensus signing keys
 * (from the genesis file), so only replicas can read the replicated ledger this way.
 */
public final class BlockSync {

    /** Path of the endpoint under the API root. */
    public static final String PATH = "/replication/blocks";
    /** How far a request's time may be from the server's clock. */
    public static final long MAX_SKEW_MILLIS = 60_000;
    /** Most blocks per answer. */
    public static final int MAX_BLOCKS = 64;

    private BlockSync() {
    }

    /** The bytes a replica signs to ask for blocks. */
    public static byte[] signedBytes(int replica, long from, int max, long time) {
        return ("ehr-block-sync\n" + replica + "\n" + from + "\n" + max + "\n" + time).getBytes(StandardCharsets.US_ASCII);
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

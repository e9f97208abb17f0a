package org.ehrledger.ejb.application.ledger;

import java.util.List;
import java.util.Map;

import org.ehrledger.ejb.domain.model.ledger.Block;

/**
 * Where a replica that fell behind gets the blocks it missed: its peers. Nothing from here is trusted:
 * the blocks must link to the replica's own head and end in the head hash that 2f+1 replicas certified
 * in a checkpoint, every transaction is executed again and must reach the recorded verdict, and every
 * content must match the hash its transaction put on chain.
 */
public interface BlockSource {

    /** Blocks (with their certificates) and the contents of the records they carry that are not erased. */
    record Fetched(List<Block> blocks, Map<String, byte[]> contents) {
    }

    /**
     * Up to {@code max} blocks starting at height {@code from} from some peer.
     *
     * @throws IllegalStateException if no peer provides them now (state transfer is retried later)
     */
    Fetched fetch(long from, int max);

    /** No peers (a replica on its own). */
    BlockSource NONE = (from, max) -> {
        throw new IllegalStateException("no peer to fetch blocks from");
    };
}

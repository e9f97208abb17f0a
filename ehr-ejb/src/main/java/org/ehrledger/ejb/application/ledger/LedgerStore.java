package org.ehrledger.ejb.application.ledger;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.ehrledger.ejb.domain.model.ledger.Block;

/**
 * Where the ledger keeps its blocks and off-chain contents. {@link #append} is atomic: the block, its
 * entries, new record contents, erasures and the executed sequence number are all written or none, so
 * a crash leaves the replica at the previous block. Appending a block that is already stored with the
 * same hash changes nothing (replay is idempotent).
 */
public interface LedgerStore {

    /** The stored blocks in height order (genesis first), or empty for a new store. */
    List<Block> loadChain();

    /** Stored record contents by record id. */
    Map<String, byte[]> loadContents();

    /** The consensus sequence number of the last executed batch (0 for a new store). */
    long lastExecuted();

    /**
     * Stores a block (or only advances the executed sequence when {@code block} is null), with the record
     * contents it introduced and the records it erased, atomically.
     */
    void append(Block block, Map<String, byte[]> newContents, Collection<String> erased, long lastExecuted);

    /** Replaces everything with the given chain and contents (installing a certified snapshot), atomically. */
    void replaceAll(List<Block> chain, Map<String, byte[]> contents, long lastExecuted);

    /** A store that keeps nothing (the ledger lives in memory only). */
    LedgerStore NONE = new LedgerStore() {
        @Override
        public List<Block> loadChain() {
            return List.of();
        }

        @Override
        public Map<String, byte[]> loadContents() {
            return Map.of();
        }

        @Override
        public long lastExecuted() {
            return 0;
        }

        @Override
        public void append(Block block, Map<String, byte[]> newContents, Collection<String> erased, long lastExecuted) {
        }

        @Override
        public void replaceAll(List<Block> chain, Map<String, byte[]> contents, long lastExecuted) {
        }
    };
}

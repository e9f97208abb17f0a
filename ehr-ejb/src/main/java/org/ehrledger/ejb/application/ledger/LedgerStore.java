package org.ehrledger.ejb.application.ledger;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import org.ehrledger.ejb.domain.model.ledger.Block;

/**
 * Where the ledger keeps its blocks and off-chain contents: the ledger holds only its head and world
 * state in memory and reads everything else from here. {@link #append} is atomic: the block, its
 * entries, new record contents, erasures and the executed sequence number are all written or none, so
 * a crash leaves the replica at the previous block. Appending a block that is already stored with the
 * same hash changes nothing (replay is idempotent).
 */
public interface LedgerStore {

    /** Stored blocks with heights {@code from} to {@code to} inclusive, in height order. */
    List<Block> blocks(long from, long to);

    /** The stored block with the greatest height, or null for a new store. */
    Block head();

    /** A record's stored content (ciphertext), or null (unknown or erased). */
    byte[] content(String recordId);

    /** The ciphertexts of these records that are stored, by record id. */
    default Map<String, byte[]> contents(Collection<String> recordIds) {
        Map<String, byte[]> out = new java.util.HashMap<>();
        for (String id : recordIds) {
            byte[] c = content(id);
            if (c != null) {
                out.put(id, c);
            }
        }
        return out;
    }

    /** Visits every stored record content. */
    void forEachContent(BiConsumer<String, byte[]> visitor);

    /** The consensus sequence number of the last executed batch (0 for a new store). */
    long lastExecuted();

    /**
     * Stores a block (or only advances the executed sequence when {@code block} is null), with the record
     * contents it introduced and the records it erased, atomically.
     */
    void append(Block block, Map<String, byte[]> newContents, Collection<String> erased, long lastExecuted);

    /**
     * Up to {@code limit} stored contents with record ids after {@code afterId} ("" for the first), in id order.
     * The default walks every content; stores in a database page with a query.
     */
    default List<Map.Entry<String, byte[]>> contents(String afterId, int limit) {
        List<Map.Entry<String, byte[]>> out = new java.util.ArrayList<>();
        TreeMap<String, byte[]> all = new TreeMap<>();
        forEachContent(all::put);
        for (Map.Entry<String, byte[]> e : all.tailMap(afterId, false).entrySet()) {
            if (out.size() == limit) {
                break;
            }
            out.add(Map.entry(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The stored blocks from {@code from} to {@code to}, read {@code page} at a time as they are iterated. */
    default Iterable<Block> pages(long from, long to, int page) {
        return () -> new java.util.Iterator<>() {
            private long next = from;
            private java.util.Iterator<Block> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                if (!current.hasNext() && next <= to) {
                    List<Block> blocks = blocks(next, Math.min(to, next + page - 1));
                    next = blocks.isEmpty() ? to + 1 : blocks.get(blocks.size() - 1).header().height() + 1;
                    current = blocks.iterator();
                }
                return current.hasNext();
            }

            @Override
            public Block next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    /** A store in memory (simulations and tests). */
    static LedgerStore inMemory() {
        return new LedgerStore() {
            private final TreeMap<Long, Block> blocks = new TreeMap<>();
            private final TreeMap<String, byte[]> contents = new TreeMap<>();
            private long executed;

            @Override
            public synchronized List<Block> blocks(long from, long to) {
                return List.copyOf(blocks.subMap(from, true, to, true).values());
            }

            @Override
            public synchronized Block head() {
                return blocks.isEmpty() ? null : blocks.lastEntry().getValue();
            }

            @Override
            public synchronized byte[] content(String recordId) {
                byte[] c = contents.get(recordId);
                return c == null ? null : c.clone();
            }

            @Override
            public synchronized void forEachContent(BiConsumer<String, byte[]> visitor) {
                contents.forEach(visitor);
            }

            @Override
            public synchronized long lastExecuted() {
                return executed;
            }

            @Override
            public synchronized void append(Block block, Map<String, byte[]> newContents, Collection<String> erased,
                                            long lastExecuted) {
                if (block != null) {
                    Block existing = blocks.get(block.header().height());
                    if (existing != null && !existing.header().hash().equals(block.header().hash())) {
                        throw new IllegalStateException("block " + block.header().height()
                                + " is already stored with different content");
                    }
                    blocks.putIfAbsent(block.header().height(), block);
                }
                newContents.forEach(contents::putIfAbsent);
                erased.forEach(contents::remove);
                executed = Math.max(executed, lastExecuted);
            }
        };
    }
}

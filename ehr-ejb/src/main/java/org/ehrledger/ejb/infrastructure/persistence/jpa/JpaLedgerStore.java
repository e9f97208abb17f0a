package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import jakarta.persistence.EntityManager;

import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.ejb.application.ledger.LedgerStore;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;

/**
 * The ledger in a relational database through JPA. Every write runs as one unit of work through
 * {@code transactional}: in the container the caller's JTA transaction, in tests a resource-local one.
 */
public final class JpaLedgerStore implements LedgerStore {

    private static final String LAST_EXECUTED = "lastExecuted";

    private final EntityManager em;
    private final Consumer<Runnable> transactional;

    /**
     * @param em            the entity manager of the ledger's persistence unit
     * @param transactional runs a unit of work atomically (commits it, or rolls it back if it throws)
     */
    public JpaLedgerStore(EntityManager em, Consumer<Runnable> transactional) {
        this.em = em;
        this.transactional = transactional;
    }

    @Override
    public List<Block> blocks(long from, long to) {
        List<BlockRow> blocks = em.createQuery("SELECT b FROM BlockRow b WHERE b.height BETWEEN :f AND :t ORDER BY b.height",
                BlockRow.class).setParameter("f", from).setParameter("t", to).getResultList();
        if (blocks.isEmpty()) {
            return List.of();
        }
        long last = blocks.get(blocks.size() - 1).height();
        List<EntryRow> entries = entries(em, from, last);
        TreeMap<Long, List<LedgerEntry>> byHeight = new TreeMap<>();
        for (EntryRow e : entries) {
            byHeight.computeIfAbsent(e.height(), h -> new ArrayList<>()).add(new LedgerEntry(e.transaction(),
                    Digest.of(e.requestDigest()), e.operationIndex(), e.accepted(), e.reason()));
        }
        List<Block> out = new ArrayList<>(blocks.size());
        for (BlockRow b : blocks) {
            BlockHeader h = new BlockHeader(b.height(), Digest.of(b.previousHash()), b.entryCount(),
                    Digest.of(b.entriesRoot()), Digest.of(b.stateDigest()), b.timestamp(), b.sequence(),
                    Digest.of(b.batchDigest()));
            Wire.Reader requests = new Wire.Reader(b.requests());
            Wire.Reader cert = new Wire.Reader(b.certificate());
            out.add(new Block(h, byHeight.getOrDefault(b.height(), List.of()),
                    requests.list(16, RequestProof::decode), b.view(), cert.list(56, SignedCommit::decode)));
        }
        return out;
    }

    /**
     * The entries of the blocks from {@code from} to {@code to}, in order. Read through the index on (HEIGHT,
     * POSITION) (changeset v007): the primary key's order is (POSITION, HEIGHT), by which a range of heights is
     * every entry of the ledger (a peer's catch-up, the head at start and each page of the background check read
     * a million entries at a million records).
     */
    static List<EntryRow> entries(EntityManager em, long from, long to) {
        return em.createQuery("SELECT e FROM EntryRow e WHERE e.height BETWEEN :f AND :t ORDER BY e.height, e.position",
                EntryRow.class).setParameter("f", from).setParameter("t", to).getResultList();
    }

    @Override
    public Block head() {
        List<Long> top = em.createQuery("SELECT MAX(b.height) FROM BlockRow b", Long.class).getResultList();
        if (top.isEmpty() || top.get(0) == null) {
            return null;
        }
        List<Block> b = blocks(top.get(0), top.get(0));
        return b.isEmpty() ? null : b.get(0);
    }

    @Override
    public byte[] content(String recordId) {
        ContentRow c = em.find(ContentRow.class, recordId);
        return c == null ? null : c.ciphertext();
    }

    @Override
    public Map<String, byte[]> contents(Collection<String> recordIds) {
        Map<String, byte[]> out = new java.util.HashMap<>();
        for (ContentRow c : ByKeys.find(em, "SELECT c FROM ContentRow c WHERE c.recordId IN :keys", ContentRow.class, recordIds)) {
            out.put(c.recordId(), c.ciphertext());
        }
        return out;
    }

    @Override
    public void forEachContent(BiConsumer<String, byte[]> visitor) {
        String after = "";
        while (true) {
            List<ContentRow> page = em.createQuery("SELECT c FROM ContentRow c WHERE c.recordId > :a ORDER BY c.recordId",
                    ContentRow.class).setParameter("a", after).setMaxResults(512).getResultList();
            if (page.isEmpty()) {
                return;
            }
            for (ContentRow c : page) {
                visitor.accept(c.recordId(), c.ciphertext());
                after = c.recordId();
            }
            em.clear();
        }
    }

    @Override
    public List<Map.Entry<String, byte[]>> contents(String afterId, int limit) {
        List<Map.Entry<String, byte[]>> out = new java.util.ArrayList<>();
        for (ContentRow c : em.createQuery("SELECT c FROM ContentRow c WHERE c.recordId > :a ORDER BY c.recordId",
                ContentRow.class).setParameter("a", afterId).setMaxResults(limit).getResultList()) {
            out.add(Map.entry(c.recordId(), c.ciphertext()));
        }
        em.clear();
        return out;
    }

    @Override
    public long lastExecuted() {
        LedgerMetaRow m = em.find(LedgerMetaRow.class, LAST_EXECUTED);
        return m == null ? 0 : m.value();
    }

    @Override
    public void append(Block block, Map<String, byte[]> newContents, Collection<String> erased, long lastExecuted) {
        transactional.accept(() -> {
            boolean fresh = true;
            if (block != null) {
                BlockRow existing = em.find(BlockRow.class, block.header().height());
                if (existing == null) {
                    persist(block);
                } else if (!Arrays.equals(existing.entriesRoot(), block.header().entriesRoot().bytes())
                        || !Arrays.equals(existing.batchDigest(), block.header().batchDigest().bytes())) {
                    throw new IllegalStateException("block " + block.header().height()
                            + " is already stored with different content: this replica's database diverged");
                } else {
                    fresh = false; // stored before (replay after a restart): its contents came with it
                }
            }
            if (fresh) {
                // Record ids are unique on chain (the contracts refuse a second record with the same id).
                for (var c : newContents.entrySet()) {
                    em.persist(new ContentRow(c.getKey(), c.getValue()));
                }
            }
            for (String id : erased) {
                ContentRow row = em.find(ContentRow.class, id);
                if (row != null) {
                    em.remove(row);
                }
            }
            LedgerMetaRow meta = em.find(LedgerMetaRow.class, LAST_EXECUTED);
            if (meta == null) {
                em.persist(new LedgerMetaRow(LAST_EXECUTED, lastExecuted));
            } else if (lastExecuted > meta.value()) {
                meta.value(lastExecuted);
            }
            em.flush();
        });
    }

    private void persist(Block block) {
        BlockHeader h = block.header();
        Wire.Writer requests = new Wire.Writer(256).i32(block.requests().size());
        for (RequestProof r : block.requests()) {
            r.encode(requests);
        }
        Wire.Writer cert = new Wire.Writer(512).i32(block.certificate().size());
        for (SignedCommit c : block.certificate()) {
            c.encode(cert);
        }
        em.persist(new BlockRow(h.height(), h.previousHash().bytes(), h.entryCount(), h.entriesRoot().bytes(),
                h.stateDigest().bytes(), h.timestamp(), h.sequence(), h.batchDigest().bytes(), block.view(),
                requests.toBytes(), cert.toBytes()));
        for (int i = 0; i < block.entries().size(); i++) {
            LedgerEntry e = block.entries().get(i);
            em.persist(new EntryRow(h.height(), i, e.transaction(), e.requestDigest().bytes(), e.operationIndex(),
                    e.accepted(), e.reason()));
        }
    }
}

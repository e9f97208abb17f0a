package org.ehrledger.ejb.application.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.crypto.Digest;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.RequestSkeleton;
import org.ehrledger.consensus.message.Wire;
import org.ehrledger.ejb.application.contracts.Contracts;
import org.ehrledger.ejb.application.contracts.Outcome;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockCodec;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * The ledger in memory: every committed batch with at least one fresh transaction becomes a block;
 * each transaction runs through the contracts at the batch's consensus timestamp. The snapshot is the
 * chain without certificates, and restoring replays it through the deterministic contracts. The
 * JPA-backed form (Derby, one transaction per block) is the next step; this form is what the
 * simulation tests run on every replica.
 */
public final class LedgerApplication implements Application {

    private WorldState state;
    /** The off-chain store: record id to ciphertext (every replica keeps every record's ciphertext). */
    private final java.util.TreeMap<String, byte[]> offChain = new java.util.TreeMap<>();
    private Contracts contracts;
    private final List<Block> chain = new ArrayList<>();
    private final long genesisTime;
    private long lastExecuted;
    private int erasuresApplied;

    private final LedgerStore store;

    /** A ledger in memory only, whose genesis block carries {@code genesisTime}. */
    public LedgerApplication(long genesisTime) {
        this(genesisTime, LedgerStore.NONE);
    }

    /**
     * A ledger persisted in {@code store}: the stored chain is loaded and replayed through the
     * contracts to rebuild the world state (the contracts are deterministic, the verdicts must match).
     */
    public LedgerApplication(long genesisTime, LedgerStore store) {
        this.genesisTime = genesisTime;
        this.store = store;
        reset();
        List<Block> stored = store.loadChain();
        if (stored.isEmpty()) {
            store.append(chain.get(0), Map.of(), List.of(), 0);
        } else {
            // Refuse to run on a database that was edited behind the ledger's back.
            ChainVerifier.Report report = ChainVerifier.structural().verify(stored);
            if (!report.valid()) {
                throw new IllegalStateException("the stored ledger is damaged: " + report);
            }
            Map<String, byte[]> contents = store.loadContents();
            replay(stored, contents);
            for (var c : contents.entrySet()) {
                var record = state.record(c.getKey());
                if (record == null || record.erased() || !Digest.sha256(c.getValue()).equals(record.contentHash())) {
                    throw new IllegalStateException("the stored content of record " + c.getKey()
                            + " does not match its hash on chain (edited in the database?)");
                }
            }
            lastExecuted = store.lastExecuted();
        }
    }

    private void reset() {
        state = new WorldState();
        contracts = new Contracts(state);
        chain.clear();
        offChain.clear();
        erasuresApplied = 0;
        chain.add(new Block(new BlockHeader(0, BlockHeader.NONE, 0, Block.entriesRoot(List.of()), BlockHeader.NONE,
                genesisTime, 0, BlockHeader.NONE), List.of(), List.of(), 0, List.of()));
        lastExecuted = 0;
    }

    @Override
    public List<byte[]> execute(OrderedBatch batch) {
        List<byte[]> results = new ArrayList<>();
        List<LedgerEntry> entries = new ArrayList<>();
        Map<String, byte[]> added = new java.util.TreeMap<>();
        long height = chain.size();
        for (Request r : batch.fresh()) {
            List<byte[]> ops = r.operations();
            for (int i = 0; i < ops.size(); i++) {
                byte[] tx = ops.get(i);
                // A record transaction's ciphertext travels as the next operation of the same request: it
                // is ordered and replicated like the transaction, but only its hash goes on chain.
                SignedTransaction parsed = parseOrNull(tx);
                boolean carriesContent = parsed != null && parsed.type().carriesContent();
                byte[] content = carriesContent && i + 1 < ops.size() ? ops.get(i + 1) : null;
                Outcome o = contracts.execute(tx, content, batch.timestamp());
                LedgerResult result = new LedgerResult(o.accepted(), o.reason(), height, entries.size());
                results.add(result.encode());
                entries.add(new LedgerEntry(tx, r.digest(), i, o.accepted(), o.reason()));
                if (content != null) {
                    results.add(result.encode());
                    if (o.accepted()) {
                        String recordId = parsed.body().string("recordId");
                        offChain.put(recordId, content);
                        added.put(recordId, content);
                    }
                    i++;
                }
            }
        }
        List<String> erased = state.erasures().subList(erasuresApplied, state.erasures().size());
        for (String id : erased) {
            offChain.remove(id); // crypto-shredding: the ciphertext is destroyed, its hash stays on chain
        }
        erasuresApplied = state.erasures().size();
        if (!entries.isEmpty()) {
            BlockHeader previous = chain.get(chain.size() - 1).header();
            Digest root = Block.entriesRoot(entries);
            Digest stateDigest = Digest.sha256(new Wire.Writer(72).digest(previous.stateDigest()).digest(root).toBytes());
            List<RequestSkeleton> skeletons = new ArrayList<>();
            for (Request r : batch.batch().requests()) {
                skeletons.add(r.skeleton());
            }
            BlockHeader header = new BlockHeader(height, previous.hash(), entries.size(), root, stateDigest,
                    batch.timestamp(), batch.sequence(), batch.digest());
            chain.add(new Block(header, List.copyOf(entries), skeletons, batch.view(), batch.certificate()));
        }
        lastExecuted = batch.sequence();
        store.append(entries.isEmpty() ? null : chain.get(chain.size() - 1), added, erased, lastExecuted);
        return results;
    }

    @Override
    public long lastExecuted() {
        return lastExecuted;
    }

    /**
     * The replicated state: every block without its certificate (replicas hold different, equally valid
     * certificates, so they cannot be part of what checkpoints compare). Canonical, so equal everywhere.
     */
    @Override
    public byte[] snapshot() {
        Wire.Writer w = new Wire.Writer(4096);
        w.i64(lastExecuted).i32(chain.size());
        for (Block b : chain) {
            BlockCodec.encodeReplicated(b, w);
        }
        w.i32(offChain.size());
        for (var e : offChain.entrySet()) {
            w.bytes(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8)).bytes(e.getValue());
        }
        return w.toBytes();
    }

    /**
     * Rebuilds the ledger from a certified snapshot: the blocks are replayed through the contracts, which
     * must reach every recorded verdict again. Blocks installed this way carry no commit certificate of
     * their own until one is fetched from a peer; the chain verifier says so for each of them.
     */
    @Override
    public void restore(byte[] snapshot, long sequence) {
        Wire.Reader r = new Wire.Reader(snapshot);
        long executed = r.i64();
        List<Block> blocks = r.list(64, BlockCodec::decodeReplicated);
        java.util.TreeMap<String, byte[]> contents = new java.util.TreeMap<>();
        int n = r.count(8);
        for (int i = 0; i < n; i++) {
            contents.put(new String(r.bytes(), java.nio.charset.StandardCharsets.UTF_8), r.bytes());
        }
        r.expectEnd();
        WorldState oldState = state;
        Contracts oldContracts = contracts;
        List<Block> oldChain = new ArrayList<>(chain);
        Map<String, byte[]> oldContents = new java.util.TreeMap<>(offChain);
        long oldExecuted = lastExecuted;
        int oldErasures = erasuresApplied;
        try {
            reset();
            replay(blocks, contents);
        } catch (RuntimeException e) {
            // Keep the ledger as it was: a snapshot that does not replay is never half installed.
            state = oldState;
            contracts = oldContracts;
            chain.clear();
            chain.addAll(oldChain);
            offChain.clear();
            offChain.putAll(oldContents);
            lastExecuted = oldExecuted;
            erasuresApplied = oldErasures;
            throw e;
        }
        store.replaceAll(chain(), contents, executed);
        lastExecuted = executed;
    }

    /** Rebuilds state from blocks (genesis first) by running their transactions through the contracts again. */
    private void replay(List<Block> blocks, Map<String, byte[]> contents) {
        offChain.putAll(contents);
        for (Block b : blocks.subList(1, blocks.size())) {
            for (LedgerEntry e : b.entries()) {
                Outcome o = contracts.replay(e.transaction(), b.header().timestamp(), e.accepted(), e.reason());
                if (o.accepted() != e.accepted() || !o.reason().equals(e.reason())) {
                    throw new IllegalStateException("replaying block " + b.header().height()
                            + " reached another verdict than recorded: the stored chain or the contracts changed");
                }
            }
            chain.add(b);
        }
        erasuresApplied = state.erasures().size();
    }

    /** The transaction decoded once for routing its content, or null if malformed (the contracts say why). */
    private static SignedTransaction parseOrNull(byte[] tx) {
        try {
            return SignedTransaction.decode(tx);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A record's ciphertext from the off-chain store, or null (unknown or erased). */
    public byte[] content(String recordId) {
        byte[] c = offChain.get(recordId);
        return c == null ? null : c.clone();
    }

    /** The last block (the genesis block of a new ledger). */
    public Block head() {
        return chain.get(chain.size() - 1);
    }

    /** The block at a height, or null beyond the head. */
    public Block block(long height) {
        return height < 0 || height >= chain.size() ? null : chain.get((int) height);
    }

    /** The blocks, genesis first. */
    public List<Block> chain() {
        return List.copyOf(chain);
    }

    /** The world state the contracts maintain. */
    public WorldState state() {
        return state;
    }

}

package org.ehrledger.ejb.application.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.OrderedRequest;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.ejb.application.contracts.Contracts;
import org.ehrledger.ejb.application.contracts.Outcome;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.StateWatch;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockCodec;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * The ledger: every committed batch with at least one fresh transaction becomes a block; each
 * transaction runs through the contracts at the batch's consensus timestamp. Only the head block lives
 * in memory; blocks and record contents are read from the {@link LedgerStore}, the world state from its
 * {@link StateStore}, and each block header's state digest commits to the state after it.
 *
 * <p>The consensus snapshot is small and cheap to take at every checkpoint: the executed sequence, the
 * head's height and hash (which commits to every block before it). A replica that must catch up to a
 * certified snapshot fetches the missing blocks from peers ({@link BlockSource}), checks that they link
 * to its own head and end in the certified hash, and executes them again.
 */
public final class LedgerApplication implements Application {

    /** Blocks read from the store at a time while loading, and fetched from peers at a time. */
    static final int PAGE = 256;

    private WorldState state;
    /** Where the rows that blocks change are noted while the tables are checked (null: nowhere). */
    private StateWatch watch;
    private Contracts contracts;
    private Block head;
    private final Block genesis;
    private long lastExecuted;

    private final LedgerStore store;
    private final StateStore stateStore;
    private volatile BlockSource peers = BlockSource.NONE;
    /** Headers of the most recent blocks by height (what callers ask about right after a commit). */
    /**
     * The last blocks, whole: receipts are asked for right after their writes commit, and are served from
     * here without waiting for the ledger's lock (blocks are immutable).
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, Block> recentBlocks = new java.util.concurrent.ConcurrentHashMap<>();
    static final int RECENT_BLOCKS = 64;
    private final java.util.LinkedHashMap<Long, BlockHeader> recentHeaders = new java.util.LinkedHashMap<>(1024, 0.75f,
            false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, BlockHeader> eldest) {
            return size() > RECENT_HEADERS;
        }
    };
    private static final int RECENT_HEADERS = 4096;

    /** A ledger in memory only, whose genesis block carries {@code genesisTime}. */
    public LedgerApplication(long genesisTime) {
        this(genesisTime, LedgerStore.inMemory());
    }

    /** A ledger persisted in {@code store} with its world state in memory, rebuilt by replaying every block. */
    public LedgerApplication(long genesisTime, LedgerStore store) {
        this(genesisTime, store, StateStore.inMemory(), true);
    }

    /**
     * A ledger persisted in {@code store} with its world state in {@code stateStore}. A state store that holds
     * the state after the head block is opened as it is, in a time independent of the chain's length: with
     * {@code verifyState}, the tables' stored accumulators are checked against the head's state digest; the
     * blocks, rows and contents themselves are checked after the start by {@link IntegrityCheck}. A state
     * store that holds nothing (a ledger kept in memory, or a database written by a version that kept its
     * state only in blocks) is filled by replaying the stored blocks once through the contracts (the verdicts
     * must match), after checking them structurally (links, counts, Merkle roots), and the stored contents
     * are checked against their hashes.
     *
     * @throws DamagedLedgerException if the stored chain, a state row or a stored content contradicts the chain
     */
    public LedgerApplication(long genesisTime, LedgerStore store, StateStore stateStore, boolean verifyState) {
        this.store = store;
        this.stateStore = stateStore;
        this.genesis = new Block(new BlockHeader(0, BlockHeader.NONE, 0, Block.entriesRoot(List.of()), BlockHeader.NONE,
                genesisTime, 0, BlockHeader.NONE), List.of(), List.of(), 0, List.of());
        reset();
        Block storedHead = store.head();
        if (storedHead == null) {
            if (stateStore.height() != 0) {
                throw DamagedLedgerException.noBlockBeside(stateStore.height());
            }
            store.append(genesis, Map.of(), List.of(), 0);
            return;
        }
        long top = storedHead.header().height();
        long stateHeight = stateStore.height();
        if (stateHeight == top && top > 0) {
            // O(1) in the chain's length: the tables' accumulators against the head's state digest. The rest
            // (every block, row and content) is checked after the start, while serving (IntegrityCheck).
            head = storedHead;
            if (verifyState) {
                verifyState();
            }
        } else if (stateHeight == 0) {
            // Refuse to replay a database that was edited behind the ledger's back.
            ChainVerifier.Report report = ChainVerifier.structural().verify(store.pages(0, top, PAGE));
            if (!report.valid()) {
                throw new DamagedLedgerException(report.firstBadHeight(), report.problem());
            }
            if (top > 0) {
                LOG.info(() -> "filling the world-state tables by replaying " + top + " stored blocks once");
            }
            long blocks = 0;
            for (Block b : store.pages(1, top, PAGE)) {
                try {
                    replayBlock(b);
                } catch (RuntimeException e) {
                    throw new DamagedLedgerException(b.header().height(), e.getMessage());
                }
                state.takeErasures();
                if (++blocks % PAGE == 0) {
                    stateStore.release(); // keep what the replay read from piling up
                }
            }
            store.forEachContent((id, content) -> {
                if (!IntegrityCheck.matches(state, id, content)) {
                    throw IntegrityCheck.contentDamaged(id);
                }
            });
        } else {
            throw new DamagedLedgerException(Math.min(stateHeight, top), "the world-state tables hold the state after block "
                    + stateHeight + " but the chain ends at block " + top + " (a block or the state was altered)");
        }
        lastExecuted = store.lastExecuted();
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(LedgerApplication.class.getName());

    /**
     * Checks the tables' stored accumulators against the head's state digest (the rows themselves are
     * checked against the accumulators by {@link IntegrityCheck}, after the start).
     */
    private void verifyState() {
        BlockHeader h = head.header();
        if (!state.digest().equals(h.stateDigest()) && !isLegacy(h)) {
            throw new DamagedLedgerException(h.height(), "the world-state tables do not match the state digest of block "
                    + h.height() + " (their stored digests were altered)");
        }
    }

    /** Notes the rows that executing blocks change in {@code watch} (see {@link IntegrityCheck}). */
    public void watch(StateWatch watch) {
        this.watch = watch;
        state.watch(watch);
    }

    /** Whether a block carries a version-1 state digest (written before the state commitment, see docs/STATE.md). */
    private boolean isLegacy(BlockHeader h) {
        if (h.height() == 0) {
            return true;
        }
        BlockHeader previous = h.height() - 1 == head.header().height() ? head.header() : header(h.height() - 1);
        return previous != null && h.stateDigest().equals(StateCommitment.legacy(previous.stateDigest(), h.entriesRoot()));
    }

    /** Where to fetch missed blocks from when catching up to a certified snapshot. */
    public void peers(BlockSource source) {
        this.peers = source;
    }

    private void reset() {
        recentHeaders.clear();
        recentBlocks.clear();
        state = new WorldState(stateStore);
        state.watch(watch);
        contracts = new Contracts(state);
        head = genesis;
        lastExecuted = 0;
    }

    @Override
    public List<byte[]> execute(OrderedBatch batch) {
        Executed e = apply(batch);
        persist(e);
        return e.results();
    }

    /**
     * A batch applied in memory and not yet stored: the results to reply with and what
     * {@link #persist} writes. Callers that hold a lock for readers can release it between the two.
     */
    public record Executed(List<byte[]> results, Block block, Map<String, byte[]> added, List<String> erased,
                           long sequence) {
    }

    /** Runs a batch through the contracts and extends the chain in memory (see {@link #persist}). */
    public Executed apply(OrderedBatch batch) {
        preverify(batch);
        List<byte[]> results = new ArrayList<>();
        List<LedgerEntry> entries = new ArrayList<>();
        Map<String, byte[]> added = new java.util.TreeMap<>();
        long height = head.header().height() + 1;
        for (OrderedRequest r : batch.fresh()) {
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
                        added.put(parsed.body().string("recordId"), content);
                    }
                    i++;
                }
            }
        }
        // crypto-shredding: the store destroys the ciphertext of erased records; their hashes stay on chain
        List<String> erased = state.takeErasures();
        Block block = null;
        if (!entries.isEmpty()) {
            BlockHeader previous = head.header();
            Digest root = Block.entriesRoot(entries);
            Digest stateDigest = state.digest();
            BlockHeader header = new BlockHeader(height, previous.hash(), entries.size(), root, stateDigest,
                    batch.timestamp(), batch.sequence(), batch.digest());
            block = new Block(header, List.copyOf(entries), batch.requests(), batch.view(), batch.certificate());
        }
        if (block != null) {
            head = block;
            recentHeaders.put(block.header().height(), block.header());
            recentBlocks.put(block.header().height(), block);
            recentBlocks.remove(block.header().height() - RECENT_BLOCKS);
        }
        lastExecuted = batch.sequence();
        return new Executed(results, block, added, erased, batch.sequence());
    }

    /**
     * Checks the signatures of a batch's transactions in parallel against their authors' current keys,
     * before the contracts run them one by one (which then find them checked). Only reads the state.
     */
    private void preverify(OrderedBatch batch) {
        List<byte[]> txs = new ArrayList<>();
        for (OrderedRequest r : batch.fresh()) {
            txs.addAll(r.operations());
        }
        preverify(txs);
    }

    /**
     * Reads ahead the state rows that transactions will look up (their ids, the records they name) and checks
     * their signatures in parallel; the contracts then find both ready. Used for a batch to execute and for a
     * certified block to replay while catching up.
     */
    private void preverify(List<byte[]> txs) {
        List<Digest> ids = new ArrayList<>();
        List<String> records = new ArrayList<>();
        for (byte[] bytes : txs) {
            SignedTransaction tx = parseOrNull(bytes);
            if (tx != null) {
                ids.add(Digest.sha256(bytes));
                try {
                    if (tx.type().carriesContent() && tx.body().has("recordId")) {
                        records.add(tx.body().string("recordId"));
                    }
                } catch (RuntimeException malformed) {
                    // the contracts refuse it with the reason; nothing to read ahead
                }
            }
        }
        state.prefetch(ids, records);
        if (txs.size() < 4) {
            return;
        }
        // The authors are looked up here, on this thread (the state store may be bound to its transaction).
        record Check(SignedTransaction tx, byte[] key) {
        }
        List<Check> checks = new ArrayList<>();
        Map<String, byte[]> keys = new java.util.HashMap<>();
        for (byte[] bytes : txs) {
            SignedTransaction tx = parseOrNull(bytes);
            if (tx != null) {
                byte[] key = keys.computeIfAbsent(tx.author(), a -> {
                    var author = state.user(a);
                    return author == null ? new byte[0] : author.signingKey();
                });
                if (key.length > 0) {
                    checks.add(new Check(tx, key));
                }
            }
        }
        checks.parallelStream().forEach(c -> org.ehrledger.ejb.infrastructure.crypto.UserKeys.verifyEd25519(c.key(),
                c.tx().signedBytes(), c.tx().signature()));
    }

    /** Stores what {@link #apply} produced (in the caller's transaction, in the container). */
    public void persist(Executed e) {
        store.append(e.block(), e.added(), e.erased(), e.sequence());
        if (e.block() != null) {
            state.endBlock(e.block().header().height());
        }
    }

    @Override
    public long lastExecuted() {
        return lastExecuted;
    }

    /**
     * The replicated state, compactly: the executed sequence and the head block's height and hash. The
     * head hash commits to every block (hash links) and each block to its state digest and contents, so
     * 2f+1 replicas certifying this snapshot certify the whole ledger. O(1) at every checkpoint.
     */
    @Override
    public byte[] snapshot() {
        return new Wire.Writer(64).i64(lastExecuted).i64(head.header().height()).digest(head.header().hash()).toBytes();
    }

    /**
     * Catches up to a certified snapshot: the blocks between this ledger's head and the certified head
     * are fetched from peers, proven to end in the certified hash ({@link #planCatchUp}), checked (links,
     * Merkle roots, binding to the ordered requests, content hashes), executed again (every verdict must
     * match) and stored. Here all in the caller's transaction: if anything fails the ledger stays as it was
     * and the consensus layer tries again later. The replica in the container applies a proven catch-up a
     * few blocks per transaction instead ({@link LedgerRuntime#catchUpStep}), then calls this to finish.
     */
    @Override
    public void restore(byte[] snapshot, long sequence) {
        Wire.Reader r = new Wire.Reader(snapshot);
        long executed = r.i64();
        long height = r.i64();
        Digest headHash = r.digest();
        r.expectEnd();
        if (head.header().height() < height) {
            catchUpStep(planCatchUp(snapshot), Integer.MAX_VALUE);
        }
        Block mine = block(height);
        if (mine == null || !mine.header().hash().equals(headHash)) {
            throw new DamagedLedgerException(height, "this replica's block differs from the one 2f+1 replicas "
                    + "certified in a checkpoint");
        }
        if (executed > lastExecuted) {
            store.append(null, Map.of(), List.of(), executed);
            lastExecuted = executed;
        }
    }

    /**
     * A catch-up proven before anything of it is applied: the hash of every block between the ledger's head
     * and the certified head, in a chain of hash links that ends in the certified hash. A block applied later
     * must have exactly its proven hash, so each can be stored as it comes, in transactions of its own, and a
     * peer cannot make the replica store a block of another chain (one that omits or reorders certified
     * batches, say) even for a while. Holds 32 bytes per block, and the page of blocks fetched last.
     */
    public static final class CatchUp {
        private final long from;
        private final long to;
        private final byte[] hashes;
        private final java.util.ArrayDeque<Block> pending = new java.util.ArrayDeque<>();
        private final Map<String, byte[]> contents = new java.util.HashMap<>();

        CatchUp(long from, long to, byte[] hashes) {
            this.from = from;
            this.to = to;
            this.hashes = hashes;
        }

        /** The certified height this catch-up ends at. */
        public long target() {
            return to;
        }

        /** The number of blocks it applies in all. */
        public long blocks() {
            return to - from + 1;
        }

        Digest hash(long height) {
            return Digest.read(hashes, (int) (height - from) * 32);
        }
    }

    /**
     * Fetches the blocks between this ledger's head and the certified head from peers and proves their chain:
     * each links to the one before, from this ledger's head, and the last one's hash is the certified hash.
     * Nothing is applied (the blocks are fetched again to be applied: {@link #catchUpStep}). Null if the
     * ledger already holds the certified height.
     *
     * @throws IllegalStateException if no peer provides the blocks, or they do not end in the certified hash
     */
    public CatchUp planCatchUp(byte[] snapshot) {
        Wire.Reader r = new Wire.Reader(snapshot);
        r.i64();
        long height = r.i64();
        Digest headHash = r.digest();
        long from = head.header().height() + 1;
        if (from > height) {
            return null;
        }
        long count = height - from + 1;
        if (count > Integer.MAX_VALUE / 32) {
            throw new IllegalStateException("a catch-up of " + count + " blocks is beyond this replica: move a peer's "
                    + "database to it instead (docs/OPERATIONS.md)");
        }
        java.io.ByteArrayOutputStream hashes = new java.io.ByteArrayOutputStream((int) Math.min(count * 32, 1 << 20));
        Digest previous = head.header().hash();
        long next = from;
        while (next <= height) {
            BlockSource.Fetched f = peers.fetch(next, (int) Math.min(PAGE, height - next + 1));
            if (f.blocks().isEmpty()) {
                throw new IllegalStateException("no peer provided block " + next);
            }
            for (Block b : f.blocks()) {
                if (next > height) {
                    break;
                }
                BlockHeader h = b.header();
                if (h.height() != next || !h.previousHash().equals(previous)) {
                    throw new IllegalStateException("block " + next + " from a peer does not link to block " + (next - 1));
                }
                previous = h.hash();
                hashes.writeBytes(previous.bytes());
                next++;
            }
        }
        if (!previous.equals(headHash)) {
            throw new IllegalStateException("the blocks fetched from peers do not end in the certified head hash");
        }
        return new CatchUp(from, height, hashes.toByteArray());
    }

    /** Fetches the next page of a catch-up from peers unless one is waiting (outside any lock: it takes a while). */
    public void prefetch(CatchUp c) {
        long next = head.header().height() + 1;
        if (!c.pending.isEmpty() || next > c.to) {
            return;
        }
        BlockSource.Fetched f = peers.fetch(next, (int) Math.min(PAGE, c.to - next + 1));
        if (f.blocks().isEmpty()) {
            throw new IllegalStateException("no peer provided block " + next);
        }
        c.pending.addAll(f.blocks());
        c.contents.clear();
        c.contents.putAll(f.contents());
    }

    /**
     * Applies up to {@code max} blocks of a proven catch-up (fetching them if none is waiting): each must have
     * its proven hash, pass the structural checks and its contents their hashes, and reach its recorded
     * verdicts and state digest when executed again. True once the head is the certified one.
     */
    public boolean catchUpStep(CatchUp c, int max) {
        ChainVerifier structure = ChainVerifier.structural();
        for (int applied = 0; applied < max && head.header().height() < c.to; applied++) {
            prefetch(c);
            long next = head.header().height() + 1;
            Block b = c.pending.poll();
            if (b.header().height() != next || !b.header().hash().equals(c.hash(next))) {
                throw new IllegalStateException("block " + next + " from a peer is not the one proven against the "
                        + "certified head hash");
            }
            String problem = structure.checkNext(b, head);
            if (problem != null) {
                throw new IllegalStateException("block " + next + " from a peer is unsound: " + problem);
            }
            Map<String, byte[]> contents = new java.util.TreeMap<>();
            contentHashes(b).forEach((id, hash) -> {
                byte[] content = c.contents.get(id);
                if (content != null && hash.equals(Digest.sha256(content))) {
                    contents.put(id, content);
                }
            });
            List<byte[]> txs = new ArrayList<>(b.entries().size());
            for (LedgerEntry e : b.entries()) {
                txs.add(e.transaction());
            }
            preverify(txs);
            replayBlock(b);
            List<String> erased = state.takeErasures();
            contents.keySet().removeAll(erased);
            store.append(b, contents, erased, b.header().sequence());
        }
        return head.header().height() >= c.to;
    }

    /**
     * What a peer that is catching up asks for: up to {@code max} stored blocks from {@code from}, with
     * the stored contents of the records they carry.
     */
    public BlockSource.Fetched serve(long from, int max) {
        return serveStored(from, servedTo(from, max));
    }

    /** The last height a catch-up from {@code from} asking for {@code max} blocks gets: at most a page, up to the head. */
    long servedTo(long from, int max) {
        return Math.min(head.header().height(), from + Math.max(1, Math.min(max, PAGE)) - 1);
    }

    /**
     * The stored blocks from {@code from} to {@code to} with their records' contents, read from the store alone:
     * committed blocks never change, so this needs none of the ledger's locks (a block not committed yet is simply
     * not in the page, and the peer asks again from there).
     */
    BlockSource.Fetched serveStored(long from, long to) {
        List<Block> blocks = from > to ? List.of() : store.blocks(from, to);
        Map<String, byte[]> contents = new java.util.TreeMap<>();
        for (Block b : blocks) {
            for (String id : contentHashes(b).keySet()) {
                byte[] c = store.content(id);
                if (c != null) {
                    contents.put(id, c);
                }
            }
        }
        return new BlockSource.Fetched(blocks, contents);
    }

    /** The records whose content a block's accepted transactions carry, each with its recorded content hash. */
    private static Map<String, Digest> contentHashes(Block b) {
        Map<String, Digest> hashes = new java.util.LinkedHashMap<>();
        for (LedgerEntry e : b.entries()) {
            SignedTransaction tx = parseOrNull(e.transaction());
            if (tx != null && e.accepted() && tx.type().carriesContent()) {
                hashes.put(tx.body().string("recordId"), Digest.of(tx.body().bytes("contentHash")));
            }
        }
        return hashes;
    }

    /**
     * Runs a certified block's transactions through the contracts again; the verdicts must match, and so
     * must the state digest (unless the block carries a version-1 digest, which commits to no state).
     */
    private void replayBlock(Block b) {
        for (LedgerEntry e : b.entries()) {
            Outcome o = contracts.replay(e.transaction(), b.header().timestamp(), e.accepted(), e.reason());
            if (o.accepted() != e.accepted() || !o.reason().equals(e.reason())) {
                throw new IllegalStateException("replaying block " + b.header().height()
                        + " reached another verdict than recorded: the stored chain or the contracts changed");
            }
        }
        BlockHeader h = b.header();
        if (!h.stateDigest().equals(state.digest())
                && !h.stateDigest().equals(StateCommitment.legacy(head.header().stateDigest(), h.entriesRoot()))) {
            throw new IllegalStateException("replaying block " + h.height() + " reached another world state than the "
                    + "block's state digest commits to");
        }
        head = b;
        state.endBlock(h.height());
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
        return store.content(recordId);
    }

    /** The ciphertexts of these records that are stored, by record id (one query for a page of them). */
    public Map<String, byte[]> contents(java.util.Collection<String> recordIds) {
        return store.contents(recordIds);
    }

    /** The last block (the genesis block of a new ledger). */
    public Block head() {
        return head;
    }

    /** One of the last {@value #RECENT_BLOCKS} blocks, or null; safe without the ledger's lock. */
    public Block recentBlock(long height) {
        return recentBlocks.get(height);
    }

    /** The block at a height, or null. */
    public Block block(long height) {
        if (height == head.header().height()) {
            return head;
        }
        if (height < 0 || height > head.header().height()) {
            return null;
        }
        Block recent = recentBlocks.get(height);
        if (recent != null) {
            return recent;
        }
        List<Block> b = store.blocks(height, height);
        return b.isEmpty() ? null : b.get(0);
    }

    /** The header of the block at a height (recent ones from memory), or null beyond the head. */
    public BlockHeader header(long height) {
        BlockHeader h = recentHeaders.get(height);
        if (h != null) {
            return h;
        }
        Block b = block(height);
        return b == null ? null : b.header();
    }

}

package org.ehrledger.ejb.application.ledger;

import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.contracts.StateWatch;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;

/**
 * The replica's ledger inside the application server: the {@link LedgerApplication} over the replica's
 * {@link LedgerStorage} (its database), each committed batch executed in one JTA transaction. Internal to the replica (the consensus
 * gateway calls it); people and systems reach the ledger only through the role-checked session beans.
 *
 * <p>Reads (many request threads at once) share a read lock; executing a block takes the write lock,
 * so a read never sees a half-applied block and never delays the others.
 *
 * <p>A ledger found damaged (its database edited behind its back, see {@link LedgerDamage}) is not loaded
 * again: every later call answers {@link ErrorCode#DAMAGED} at once, and the damage is logged once.
 */
@ApplicationScoped
@Transactional
public class LedgerRuntime {

    /** Genesis time of a new ledger (the genesis block carries it; the chain's own times come from consensus). */
    private static final long GENESIS_TIME = 0L;
    private static final Logger LOG = Logger.getLogger(LedgerRuntime.class.getName());

    @Inject
    private LedgerStorage storage;

    @Resource
    private TransactionSynchronizationRegistry transactions;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /**
     * Held from the start of a block's execution until its transaction completes, so that the integrity
     * check can read the tables at a moment no block is half-way (see {@link #whileNoBlockExecutes}).
     */
    private final Semaphore blockGate = new Semaphore(1);
    /** The rows blocks change while the integrity check reads a table. */
    private final StateWatch watch = new StateWatch();
    private volatile LedgerApplication ledger;
    private volatile BlockSource peers = BlockSource.NONE;
    private volatile LedgerDamage damage;
    /** Whether the state tables were checked against the head since this process started. */
    private volatile boolean stateVerified;

    /** The ledger, loaded from the database on first use (interceptors skip @PostConstruct). */
    private LedgerApplication ledger() {
        LedgerApplication l = ledger;
        if (l != null) {
            return l;
        }
        lock.writeLock().lock();
        try {
            if (damage != null) {
                throw damaged();
            }
            if (ledger == null) {
                LedgerApplication loaded;
                try {
                    // The state rows are checked once per process; a reload after a rolled-back block trusts them.
                    long started = System.nanoTime();
                    loaded = new LedgerApplication(GENESIS_TIME, storage.blocks(), storage.state(), !stateVerified);
                    if (!stateVerified) {
                        long height = loaded.head().header().height();
                        long ms = (System.nanoTime() - started) / 1_000_000;
                        LOG.info(() -> "ledger opened at height " + height + " in " + ms + " ms");
                    }
                    stateVerified = true;
                } catch (DamagedLedgerException e) {
                    throw damaged(e);
                }
                storage.forgetCachedRows();
                loaded.peers(peers);
                loaded.watch(watch);
                ledger = loaded;
                if (transactions.getTransactionKey() != null) {
                    reloadUnlessCommitted(); // a migration that rolls back must not leave its state behind
                }
            }
            return ledger;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Takes the block gate until this transaction completes (committed or not). */
    private void holdBlockGateUntilCompletion() {
        blockGate.acquireUninterruptibly();
        try {
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    storage.blockCompleted();
                    if (status == Status.STATUS_COMMITTED) {
                        watch.committed();
                    } else {
                        watch.rolledBack();
                    }
                    blockGate.release();
                }
            });
        } catch (RuntimeException e) {
            blockGate.release();
            throw e;
        }
    }

    /** Runs {@code work} on the stores in a read-only transaction of its own ({@link IntegrityCheck}). */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public <T> T inOwnTransaction(Function<IntegrityCheck.Stores, T> work) {
        return work.apply(stores());
    }

    /**
     * Runs {@code work} on the stores in a transaction of its own while no block executes or commits (blocks
     * wait meanwhile: keep it short).
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public <T> T whileNoBlockExecutes(Function<IntegrityCheck.Stores, T> work) {
        blockGate.acquireUninterruptibly();
        try {
            return work.apply(stores());
        } finally {
            blockGate.release();
        }
    }

    private IntegrityCheck.Stores stores() {
        return new IntegrityCheck.Stores(storage.stateReader(), storage.blocks());
    }

    /** Where executing blocks note the rows they change while the integrity check reads a table. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public StateWatch watch() {
        return watch;
    }

    /** Records damage the integrity check found: from now on the ledger serves nothing (as at start). */
    @Transactional(Transactional.TxType.SUPPORTS)
    public void markDamaged(LedgerDamage found) {
        lock.writeLock().lock();
        try {
            damaged(new DamagedLedgerException(found.height(), found.reason()));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Remembers (and logs, once) that the stored ledger is damaged; the ledger is not used again. */
    private EhrException damaged(DamagedLedgerException e) {
        if (damage == null) {
            damage = e.damage();
            LOG.severe(() -> damage.summary() + ". This replica serves no requests until it is repaired: "
                    + "GET /api/v1/cluster says how (docs/OPERATIONS.md 'Repairing a replica')");
        }
        ledger = null;
        return damaged();
    }

    private EhrException damaged() {
        return new EhrException(ErrorCode.DAMAGED, "this replica's ledger is damaged (" + damage.summary()
                + "); it serves nothing until it is repaired, see GET /api/v1/cluster");
    }

    /** The damage found in the stored ledger, or null while it is sound. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public LedgerDamage damage() {
        return damage;
    }

    /**
     * Loads (and checks) the stored ledger, creating its genesis block in a new database. Called once at
     * start, in a transaction, before anything reads it.
     */
    public void load() {
        ledger();
    }

    private <T> T read(Supplier<T> q) {
        ledger();
        lock.readLock().lock();
        try {
            return q.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Executes one committed batch; the block and everything it changes commit together or not at all.
     * Readers wait only while the contracts run in memory, not while the block is written (if the write
     * fails, the transaction rolls back and the ledger is reloaded from the database).
     */
    public List<byte[]> execute(OrderedBatch batch) {
        ledger();
        holdBlockGateUntilCompletion();
        LedgerApplication current;
        LedgerApplication.Executed executed;
        lock.writeLock().lock();
        try {
            current = reloadUnlessCommitted();
            executed = current.apply(batch);
        } finally {
            lock.writeLock().unlock();
        }
        current.persist(executed);
        return executed.results();
    }

    /** Installs a certified snapshot, fetching the missed blocks from peers, in this transaction. */
    public void restore(byte[] snapshot, long sequence) {
        replacing(l -> {
            l.restore(snapshot, sequence);
            return null;
        });
    }

    /**
     * Proves the catch-up to a certified snapshot against its head hash, fetching the missing blocks from peers
     * without applying them and without holding the ledger's lock (see {@link LedgerApplication#planCatchUp});
     * null if the ledger holds the certified height already.
     */
    @Transactional(Transactional.TxType.NOT_SUPPORTED)
    public LedgerApplication.CatchUp planCatchUp(byte[] snapshot) {
        LedgerApplication.CatchUp c = ledger().planCatchUp(snapshot);
        if (c != null) {
            LOG.info(() -> "catching up " + c.blocks() + " blocks to height " + c.target()
                    + ": their chain from peers ends in the certified head hash");
        }
        return c;
    }

    /**
     * Applies the next {@value #CATCH_UP_STEP} blocks of a proven catch-up in this transaction, so that readers
     * wait for a few blocks at a time, not for the whole gap, and what was applied stays if the catch-up is
     * interrupted (the next one goes on from the new head). The page is fetched before the lock is taken.
     * True once the head is the certified one.
     */
    public boolean catchUpStep(LedgerApplication.CatchUp c) {
        ledger().prefetch(c);
        return replacing(l -> l.catchUpStep(c, CATCH_UP_STEP));
    }

    /** Blocks applied per transaction while catching up. */
    static final int CATCH_UP_STEP = 16;

    /** Runs work that replaces state wholesale (a catch-up) under the write lock, in the caller's transaction. */
    private <T> T replacing(Function<LedgerApplication, T> work) {
        ledger();
        holdBlockGateUntilCompletion();
        lock.writeLock().lock();
        storage.forgetCachedRows(); // a snapshot replaces the state wholesale: nothing read before it is kept
        transactions.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                storage.forgetCachedRows();
            }
        });
        try {
            return work.apply(reloadUnlessCommitted());
        } catch (DamagedLedgerException e) {
            throw damaged(e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The ledger, arranged to be dropped and reloaded from the database if the caller's transaction does
     * not commit: the in-memory state must never run ahead of what was stored.
     */
    private LedgerApplication reloadUnlessCommitted() {
        LedgerApplication current = ledger;
        transactions.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                if (status != Status.STATUS_COMMITTED) {
                    discard(current);
                }
            }
        });
        return current;
    }

    private void discard(LedgerApplication stale) {
        lock.writeLock().lock();
        try {
            if (ledger == stale) {
                ledger = null;
            }
            storage.forgetCachedRows();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The replicated state for a checkpoint (see {@link LedgerApplication#snapshot()}). */
    @Transactional(Transactional.TxType.SUPPORTS)
    public byte[] snapshot() {
        return read(() -> ledger.snapshot());
    }

    /** Where to fetch missed blocks from (the other replicas). */
    @Transactional(Transactional.TxType.SUPPORTS)
    public void peers(BlockSource source) {
        peers = source;
        LedgerApplication l = ledger;
        if (l != null) {
            l.peers(source);
        }
    }

    /**
     * Blocks and contents for a peer that is catching up (see {@link LedgerApplication#serve}). Only the page's
     * last height is taken under the read lock; the stored blocks and contents are read outside it, so a page
     * read from the database (tens of milliseconds at a million records, longer on a busy disk) never holds this
     * replica's own next block back.
     */
    public BlockSource.Fetched serve(long from, int max) {
        LedgerApplication serving = ledger();
        long to = read(() -> serving.servedTo(from, max)); // its head, written under the write lock
        return serving.serveStored(from, to);
    }

    /** The last block. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Block head() {
        return read(() -> ledger.head());
    }

    /** The header of the block at a height, or null. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public BlockHeader header(long height) {
        return read(() -> ledger.header(height));
    }

    /** The block at a height, or null: one of the last blocks without waiting for the lock, else as {@link #block}. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Block recentBlock(long height) {
        LedgerApplication l = ledger;
        Block b = l == null ? null : l.recentBlock(height);
        return b != null ? b : block(height);
    }

    /** The block at a height, or null. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Block block(long height) {
        return read(() -> ledger.block(height));
    }

    /**
     * Runs a read-only query on the world state as committed in the database (indexed queries, never a
     * block half-applied); it does not wait for a block being executed. In one transaction, so the query's
     * reads share one connection and one persistence context.
     */
    public <T> T query(Function<WorldState, T> q) {
        ledger();
        return q.apply(new WorldState(storage.stateReader()));
    }

    /** The consensus sequence number of the last executed batch. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public long lastExecuted() {
        return read(() -> ledger.lastExecuted());
    }

    /**
     * Verifies the chain as stored in the database, read afresh a page at a time outside any transaction
     * (so that what was read is not kept), up to the current head.
     */
    @Transactional(Transactional.TxType.NOT_SUPPORTED)
    public org.ehrledger.ejb.domain.model.ledger.ChainVerifier.Report verifyStored(
            org.ehrledger.ejb.domain.model.ledger.ChainVerifier verifier) {
        long top = head().header().height();
        return verifier.verify(storage.blocks().pages(0, top, 128));
    }

    /**
     * Verifies the stored blocks after {@code previous} (a block already verified; null: from genesis) up to
     * height {@code to}, read afresh a page at a time outside any transaction.
     */
    @Transactional(Transactional.TxType.NOT_SUPPORTED)
    public org.ehrledger.ejb.domain.model.ledger.ChainVerifier.Progress verifyStored(
            org.ehrledger.ejb.domain.model.ledger.ChainVerifier verifier,
            org.ehrledger.ejb.domain.model.ledger.BlockHeader previous, long to) {
        long from = previous == null ? 0 : previous.height() + 1;
        return verifier.extend(previous, storage.blocks().pages(from, to, 128));
    }

    /** A record's ciphertext, or null. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public byte[] content(String recordId) {
        return read(() -> ledger.content(recordId));
    }

    /** The ciphertexts of these records that are stored here, by record id. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public java.util.Map<String, byte[]> contents(java.util.Collection<String> recordIds) {
        return read(() -> ledger.contents(recordIds));
    }
}

package org.ehrledger.ejb.application.ledger;

import java.util.List;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaLedgerStore;

/**
 * The replica's ledger inside the application server: the {@link LedgerApplication} over the JPA
 * store, each committed batch executed in one JTA transaction. Internal to the replica (the consensus
 * gateway calls it); people and systems reach the ledger only through the role-checked session beans.
 */
@ApplicationScoped
@Transactional
public class LedgerRuntime {

    /** Genesis time of a new ledger (the genesis block carries it; the chain's own times come from consensus). */
    private static final long GENESIS_TIME = 0L;

    @PersistenceContext(unitName = "ehr")
    private EntityManager em;

    @Resource
    private TransactionSynchronizationRegistry transactions;

    private LedgerApplication ledger;

    /** Loads the stored chain on first use, inside the caller's transaction (interceptors skip @PostConstruct). */
    private LedgerApplication ledger() {
        if (ledger == null) {
            ledger = new LedgerApplication(GENESIS_TIME, new JpaLedgerStore(em, Runnable::run));
        }
        return ledger;
    }

    /** Executes one committed batch; the block and everything it changes commit together or not at all. */
    public synchronized List<byte[]> execute(OrderedBatch batch) {
        return reloadUnlessCommitted().execute(batch);
    }

    /**
     * The ledger, arranged to be dropped and reloaded from the database if the caller's transaction does
     * not commit: the in-memory state must never run ahead of what was stored.
     */
    private LedgerApplication reloadUnlessCommitted() {
        LedgerApplication current = ledger();
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

    private synchronized void discard(LedgerApplication stale) {
        if (ledger == stale) {
            ledger = null;
        }
    }

    /** The replicated state for a checkpoint or a lagging peer (see {@link LedgerApplication#snapshot()}). */
    public synchronized byte[] snapshot() {
        return ledger().snapshot();
    }

    /** Installs a certified snapshot, replacing the stored chain in this transaction. */
    public synchronized void restore(byte[] snapshot, long sequence) {
        reloadUnlessCommitted().restore(snapshot, sequence);
    }

    /** The last block. */
    public synchronized Block head() {
        return ledger().head();
    }

    /** The block at a height, or null. */
    public synchronized Block block(long height) {
        return ledger().block(height);
    }

    /** The consensus sequence number of the last executed batch. */
    public synchronized long lastExecuted() {
        return ledger().lastExecuted();
    }

    /** The chain as held in memory (what the store wrote). */
    public synchronized List<Block> chain() {
        return ledger().chain();
    }

    /** The chain as stored in the database, read afresh. */
    public List<Block> storedChain() {
        return new JpaLedgerStore(em, Runnable::run).loadChain();
    }

    /**
     * Runs a read-only query on the world state, consistent with the executed blocks (it waits while a
     * block executes). The query must not keep references to mutable state.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public synchronized <T> T query(java.util.function.Function<WorldState, T> q) {
        return q.apply(ledger().state());
    }

    /** The world state (read-only use). */
    public synchronized WorldState state() {
        return ledger().state();
    }

    /** A record's ciphertext, or null. */
    public synchronized byte[] content(String recordId) {
        return ledger().content(recordId);
    }
}

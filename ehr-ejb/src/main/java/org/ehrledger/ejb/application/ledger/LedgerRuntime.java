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
        LedgerApplication current = ledger();
        // The in-memory state must never run ahead of the database: if this transaction does not commit,
        // drop it and reload from what was committed.
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
        return current.execute(batch);
    }

    private synchronized void discard(LedgerApplication stale) {
        if (ledger == stale) {
            ledger = null;
        }
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

    /** The world state (read-only use). */
    public synchronized WorldState state() {
        return ledger().state();
    }

    /** A record's ciphertext, or null. */
    public synchronized byte[] content(String recordId) {
        return ledger().content(recordId);
    }
}

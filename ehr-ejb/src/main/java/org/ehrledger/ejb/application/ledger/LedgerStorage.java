package org.ehrledger.ejb.application.ledger;

import org.ehrledger.ejb.application.contracts.StateStore;

/**
 * Where a replica's ledger is kept: the infrastructure {@link LedgerRuntime} runs on (in the container, the
 * replica's database; see {@code infrastructure.persistence.jpa.JpaLedgerStorage}). Each call opens a store
 * in the caller's transaction.
 */
public interface LedgerStorage {

    /** The blocks and record contents. */
    LedgerStore blocks();

    /** The world state, for the ledger that executes blocks (the only writer; it may cache rows). */
    StateStore state();

    /**
     * The world state as committed, for reads. It may take the rows nearly every request reads from a cache
     * of committed rows, which the {@link #state()} store keeps up to date as blocks change them.
     */
    StateStore stateReader();

    /** The transaction of the block being executed completed, committed or not (the read cache settles). */
    void blockCompleted();

    /** The state may have changed other than block by block (reload, snapshot, repair): forget cached rows. */
    void forgetCachedRows();
}

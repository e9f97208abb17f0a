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

    /** The world state as committed, for reads (caches nothing). */
    StateStore stateReader();
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.ledger.LedgerStorage;
import org.ehrledger.ejb.application.ledger.LedgerStore;

/** The ledger's stores in the replica's database, in the caller's JTA transaction. */
@ApplicationScoped
public class JpaLedgerStorage implements LedgerStorage {

    @PersistenceContext(unitName = "ehr")
    EntityManager em;

    /** Committed rows nearly every request reads, shared by the services' queries (see {@link StateReadCache}). */
    private final StateReadCache readCache = new StateReadCache();

    @Override
    public LedgerStore blocks() {
        return new JpaLedgerStore(em, Runnable::run);
    }

    @Override
    public StateStore state() {
        return new JpaStateStore(em, Runnable::run, readCache);
    }

    @Override
    public StateStore stateReader() {
        return JpaStateStore.reader(em, readCache);
    }

    @Override
    public void blockCompleted() {
        readCache.settled();
    }

    @Override
    public void forgetCachedRows() {
        readCache.clear();
    }
}

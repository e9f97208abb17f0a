package org.ehrledger.ejb.infrastructure.identity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

/** The accounts of this replica in its database, each call its own short transaction. */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class AccountStore {

    @PersistenceContext(unitName = "ehr")
    private EntityManager em;

    /** The account, or null. */
    public AccountRow find(String userId) {
        return userId == null ? null : em.find(AccountRow.class, userId);
    }

    /** Stores a new account. */
    public void add(AccountRow account) {
        em.persist(account);
    }

    /** Records the outcome of a sign-in attempt. */
    public void loginOutcome(String userId, boolean success, long now) {
        AccountRow a = em.find(AccountRow.class, userId);
        if (a != null) {
            if (success) {
                a.loginSucceeded();
            } else {
                a.loginFailed(now);
            }
        }
    }

    /** Number of accounts with a role. */
    public long count(String role) {
        return em.createQuery("select count(a) from AccountRow a where a.role = :r", Long.class).setParameter("r", role)
                .getSingleResult();
    }


    /** The accounts of an organisation held here, by user id. */
    public java.util.List<AccountRow> listOf(String organisation) {
        return em.createQuery("select a from AccountRow a where a.organisation = :o order by a.userId", AccountRow.class)
                .setParameter("o", organisation).setMaxResults(10_000).getResultList();
    }

    /** Suspends or reinstates an account; false if there is none. */
    public boolean suspend(String userId, boolean suspended) {
        AccountRow a = em.find(AccountRow.class, userId);
        if (a == null) {
            return false;
        }
        a.suspended(suspended);
        return true;
    }

    /** Replaces a person's sealed keys (enrolment, a password change); false if there is no such account. */
    public boolean reseal(String userId, byte[] sealedKeys) {
        AccountRow a = em.find(AccountRow.class, userId);
        if (a == null) {
            return false;
        }
        a.sealedKeys(sealedKeys);
        return true;
    }
}

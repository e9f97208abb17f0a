package org.ehrledger.ejb.infrastructure.identity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

/** The enrolments in progress at this replica, each call its own short transaction. */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class EnrolmentStore {

    @PersistenceContext(unitName = "ehr")
    private EntityManager em;

    /** The enrolment in progress of a person, or null (none, or they enrolled). */
    public EnrolmentRow find(String userId) {
        return userId == null ? null : em.find(EnrolmentRow.class, userId);
    }

    /** Who awaits enrolment among the given people (the table holds only enrolments in progress: small). */
    public java.util.Set<String> awaitingAmong(java.util.Collection<String> userIds) {
        java.util.Set<String> out = new java.util.HashSet<>(em.createQuery("select e.userId from EnrolmentRow e",
                String.class).setMaxResults(100_000).getResultList());
        out.retainAll(new java.util.HashSet<>(userIds));
        return out;
    }

    /** Stores a new enrolment in progress. */
    public void add(EnrolmentRow enrolment) {
        em.persist(enrolment);
    }

    /**
     * Claims the enrolment for one redemption of the code with this verifier: true for exactly one caller,
     * however many present the code at once; the others (and a wrong verifier) get false.
     */
    public boolean claim(String userId, String verifier) {
        return em.createQuery("update EnrolmentRow e set e.codeVerifier = :redeeming where e.userId = :id "
                + "and e.codeVerifier = :verifier").setParameter("redeeming", EnrolmentRow.REDEEMING)
                .setParameter("id", userId).setParameter("verifier", verifier).executeUpdate() == 1;
    }

    /** Gives a claimed code back (the redemption failed before anything changed), so it can be tried again. */
    public void release(String userId, String verifier) {
        em.createQuery("update EnrolmentRow e set e.codeVerifier = :verifier where e.userId = :id "
                + "and e.codeVerifier = :redeeming").setParameter("redeeming", EnrolmentRow.REDEEMING)
                .setParameter("id", userId).setParameter("verifier", verifier).executeUpdate();
    }

    /** Replaces the code of an enrolment in progress; false if there is none. */
    public boolean reissue(String userId, String verifier, long expiresAt) {
        EnrolmentRow e = em.find(EnrolmentRow.class, userId);
        if (e == null) {
            return false;
        }
        e.reissue(verifier, expiresAt);
        return true;
    }

    /** Ends an enrolment: the person enrolled, or their account went. */
    public void remove(String userId) {
        EnrolmentRow e = em.find(EnrolmentRow.class, userId);
        if (e != null) {
            em.remove(e);
        }
    }
}

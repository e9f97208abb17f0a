package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

import jakarta.persistence.EntityManager;

/** Entities read by many keys with an {@code IN} query, a bounded number of keys per query. */
final class ByKeys {

    /** Keys per query: Derby and PostgreSQL both take far more, but a statement's text and plan stay small. */
    static final int CHUNK = 128;

    private ByKeys() {
    }

    /**
     * Runs {@code jpql} (whose {@code IN} parameter is named {@code keys}) for the distinct keys, {@link #CHUNK} of them
     * at a time in key order, and returns every entity found.
     */
    static <E> List<E> find(EntityManager em, String jpql, Class<E> type, Collection<String> keys) {
        List<String> all = List.copyOf(new TreeSet<>(keys));
        List<E> found = new ArrayList<>();
        for (int from = 0; from < all.size(); from += CHUNK) {
            found.addAll(em.createQuery(jpql, type).setParameter("keys", all.subList(from, Math.min(all.size(), from + CHUNK)))
                    .getResultList());
        }
        return found;
    }
}

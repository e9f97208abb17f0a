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
     *
     * <p>Each query's list of keys is padded to a power of two by repeating its last key (which selects nothing more):
     * an {@code IN} list of n parameters is a different SQL text for every n, and a database compiles each text anew
     * (Derby parses, optimises and generates a class for it, and its statement cache and the pool's keep only so many).
     * Padded, a query has at most eight texts, compiled once.
     */
    static <E> List<E> find(EntityManager em, String jpql, Class<E> type, Collection<String> keys) {
        List<String> all = List.copyOf(new TreeSet<>(keys));
        List<E> found = new ArrayList<>();
        for (int from = 0; from < all.size(); from += CHUNK) {
            found.addAll(em.createQuery(jpql, type).setParameter("keys", padded(all.subList(from, Math.min(all.size(), from + CHUNK))))
                    .getResultList());
        }
        return found;
    }

    /** {@code keys} (not empty) followed by copies of its last key, up to the next power of two. */
    static List<String> padded(List<String> keys) {
        int size = Integer.highestOneBit(keys.size());
        if (size == keys.size()) {
            return keys;
        }
        List<String> out = new ArrayList<>(size << 1);
        out.addAll(keys);
        String last = keys.get(keys.size() - 1);
        while (out.size() < size << 1) {
            out.add(last);
        }
        return out;
    }
}

package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The committed-row cache of the services' queries: what it keeps, what it refuses, and its bound. */
class StateReadCacheTest {

    @Test
    void aValueReadBeforeABlockChangedItsRowIsNotKept() {
        StateReadCache cache = new StateReadCache();
        long readAt = cache.generation();        // a query starts reading "u1" from the database
        cache.changing(List.of("u1"));           // meanwhile a block writes "u1"
        cache.put("u1", "old", readAt);          // the query's value may predate the block
        assertNull(cache.get("u1"));
    }

    @Test
    void aValueReadWhileTheBlockCommitsIsForgottenWhenItCompletes() {
        StateReadCache cache = new StateReadCache();
        cache.changing(List.of("u1"));
        cache.put("u1", "before the commit", cache.generation());
        cache.settled();
        assertNull(cache.get("u1"), "the block's key is removed again once its transaction completed");
        cache.put("u1", "after", cache.generation());
        assertEquals("after", cache.get("u1"));
    }

    @Test
    void aBlockForgetsOnlyTheKeysItChanges() {
        StateReadCache cache = new StateReadCache();
        cache.put("u1", "one", cache.generation());
        cache.put("u2", "two", cache.generation());
        cache.changing(List.of("u1"));
        cache.settled();
        assertNull(cache.get("u1"));
        assertEquals("two", cache.get("u2"));
    }

    @Test
    void itHoldsAtMostItsBoundLeastRecentlyUsedFirstOut() {
        StateReadCache cache = new StateReadCache();
        for (int i = 0; i <= StateReadCache.MAX_ENTRIES; i++) {
            cache.put("k" + i, i, cache.generation());
            cache.get("k0"); // kept in use
        }
        assertEquals(StateReadCache.MAX_ENTRIES, cache.size());
        assertEquals(0, cache.get("k0"));
        assertNull(cache.get("k1"), "the least recently used entry left first");
    }
}

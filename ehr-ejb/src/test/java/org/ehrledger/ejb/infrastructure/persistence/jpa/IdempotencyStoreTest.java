package org.ehrledger.ejb.infrastructure.persistence.jpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.function.Supplier;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import org.ehrledger.ejb.application.service.IdempotencyKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotency keys on a real (embedded Derby) table: scoped to their caller, expiring, withheld answers, bounded. */
class IdempotencyStoreTest {

    private static final long T0 = 1_800_000_000_000L;

    @TempDir
    Path dir;

    private EntityManagerFactory emf;
    private EntityManager em;
    private IdempotencyStore store;

    @BeforeEach
    void database() {
        emf = TestDatabase.migrated("jdbc:derby:directory:" + dir.resolve("db") + ";create=true");
        em = emf.createEntityManager();
        store = new IdempotencyStore();
        store.em = em;
    }

    @AfterEach
    void close() {
        em.close();
        emf.close();
        try {
            DriverManager.getConnection("jdbc:derby:directory:" + dir.resolve("db") + ";shutdown=true");
        } catch (SQLException expected) {
            // Derby reports a successful shutdown as an exception
        }
    }

    /** One call of the store in its own transaction, as the container runs it. */
    private <T> T tx(Supplier<T> call) {
        em.getTransaction().begin();
        try {
            T result = call.get();
            em.getTransaction().commit();
            em.clear();
            return result;
        } catch (RuntimeException e) {
            em.getTransaction().rollback();
            throw e;
        }
    }

    @Test
    void theSameKeyOfTwoCallersIsTwoKeysAndAKeyIdStartsWithItsCaller() {
        assertNotEquals(IdempotencyStore.id("dr-a", "k1"), IdempotencyStore.id("dr-b", "k1"));
        assertTrue(IdempotencyStore.id("dr-a", "k1").startsWith(IdempotencyStore.callerPrefix("dr-a")));
        assertEquals(64, IdempotencyStore.id("dr-a", "k1").length());
        assertInstanceOf(IdempotencyKeys.Reserved.class, tx(() -> store.reserve("dr-a", "k1", "h", T0)));
        assertInstanceOf(IdempotencyKeys.Reserved.class, tx(() -> store.reserve("dr-b", "k1", "h", T0)));
        assertInstanceOf(IdempotencyKeys.Used.class, tx(() -> store.reserve("dr-a", "k1", "h", T0 + 1)));
    }

    @Test
    void anAnswerWithASecretIsNeverStoredOnlyThatTheRequestWasCarriedOut() {
        tx(() -> store.reserve("admin", "k", "h", T0));
        tx(() -> {
            store.withheld(IdempotencyStore.id("admin", "k"), 201);
            return null;
        });
        IdempotencyKeys.FirstRequest row = ((IdempotencyKeys.Used) tx(() -> store.reserve("admin", "k", "h", T0 + 1))).first();
        assertEquals(201, row.status());
        assertFalse(row.replayable());
        assertNull(row.body());
        Long bodies = tx(() -> em.createQuery("select count(r) from IdempotencyRow r where r.body is not null", Long.class)
                .getSingleResult());
        assertEquals(0, bodies);
    }

    @Test
    void keysExpireAfterADayAndExpiredRowsArePurged() {
        for (int i = 0; i < 5; i++) {
            int k = i;
            tx(() -> store.reserve("dr-a", "old-" + k, "h", T0));
        }
        long dayLater = T0 + IdempotencyStore.KEEP_MILLIS + 1;
        assertTrue(IdempotencyStore.expired(T0, dayLater));
        assertFalse(IdempotencyStore.expired(T0, T0 + IdempotencyStore.KEEP_MILLIS));
        // a day later the same key is new again, and the other expired rows are gone
        assertInstanceOf(IdempotencyKeys.Reserved.class, tx(() -> store.reserve("dr-a", "old-0", "other", dayLater)));
        Long left = tx(() -> em.createQuery("select count(r) from IdempotencyRow r", Long.class).getSingleResult());
        assertEquals(1, left);
    }

    @Test
    void aCallerHoldsABoundedNumberOfKeysAndOthersAreNotAffected() {
        em.getTransaction().begin();
        String prefix = IdempotencyStore.callerPrefix("busy");
        for (int i = 0; i < IdempotencyKeys.MAX_KEYS_PER_CALLER; i++) {
            em.persist(new IdempotencyRow(prefix + String.format("%048x", i), "h", T0));
        }
        em.getTransaction().commit();
        em.clear();
        assertInstanceOf(IdempotencyKeys.Full.class, tx(() -> store.reserve("busy", "one-more", "h", T0 + 1)));
        assertInstanceOf(IdempotencyKeys.Reserved.class, tx(() -> store.reserve("quiet", "one", "h", T0 + 1)));
        // a day later the old keys no longer count
        assertInstanceOf(IdempotencyKeys.Reserved.class,
                tx(() -> store.reserve("busy", "one-more", "h", T0 + IdempotencyStore.KEEP_MILLIS + 2)));
    }
}

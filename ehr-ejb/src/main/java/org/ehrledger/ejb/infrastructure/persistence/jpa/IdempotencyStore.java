package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.service.IdempotencyKeys;

/**
 * {@link IdempotencyKeys} in the replica's database, so that they outlive a restart: the first request with
 * a key is reserved before it runs and its answer stored after; a retry gets that answer. Each call is its
 * own short transaction.
 * <p>
 * Bounded: a key is kept {@value #KEEP_MILLIS} ms (expired rows are deleted on a reservation, at most once
 * every {@value #PURGE_EVERY_MILLIS} ms), and one caller holds at most {@value #MAX_KEYS_PER_CALLER} keys at a
 * time, so the table holds at most that many rows per account of this replica. A row's id starts with a hash
 * of its caller ({@link #id}), which is how a caller's keys are counted.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class IdempotencyStore implements IdempotencyKeys {

    /** How long keys are kept. */
    public static final long KEEP_MILLIS = 24 * 3_600_000L;
    /** Least time between two deletions of expired keys. */
    static final long PURGE_EVERY_MILLIS = 60_000L;
    private static final int CALLER_HEX = 16;

    @PersistenceContext(unitName = "ehr")
    EntityManager em;

    private final AtomicLong lastPurge = new AtomicLong();

    /** The id of a caller's key: a hash of the caller, then a hash of the caller and the key (64 hex digits). */
    public static String id(String caller, String key) {
        return callerPrefix(caller) + Digest.sha256((caller + "\n" + key).getBytes(StandardCharsets.UTF_8)).hex()
                .substring(CALLER_HEX);
    }

    /** The beginning shared by the ids of all keys of a caller. */
    static String callerPrefix(String caller) {
        return Digest.sha256(("caller\n" + caller).getBytes(StandardCharsets.UTF_8)).hex().substring(0, CALLER_HEX);
    }

    /** Whether a key created at {@code createdAt} is no longer kept at {@code now}. */
    public static boolean expired(long createdAt, long now) {
        return now - createdAt > KEEP_MILLIS;
    }

    @Override
    public Reservation reserve(String caller, String key, String requestHash, long now) {
        purgeExpired(now);
        String id = id(caller, key);
        IdempotencyRow existing = em.find(IdempotencyRow.class, id);
        if (existing != null && expired(existing.createdAt(), now)) {
            em.remove(existing);
            em.flush();
            existing = null;
        }
        if (existing != null) {
            em.detach(existing);
            return new Used(new FirstRequest(existing.requestHash(), existing.status(), existing.replayable(),
                    existing.body()));
        }
        long held = em.createQuery("select count(r) from IdempotencyRow r where r.id like :caller and r.createdAt >= :since",
                Long.class).setParameter("caller", callerPrefix(caller) + "%").setParameter("since", now - KEEP_MILLIS)
                .getSingleResult();
        if (held >= MAX_KEYS_PER_CALLER) {
            return new Full();
        }
        em.persist(new IdempotencyRow(id, requestHash, now));
        em.flush(); // a concurrent reservation of the same key fails here, and is reported to its caller as such
        return new Reserved(id);
    }

    /** Deletes expired keys, at most once every {@value #PURGE_EVERY_MILLIS} ms; the number deleted. */
    int purgeExpired(long now) {
        long last = lastPurge.get();
        if (now - last < PURGE_EVERY_MILLIS || !lastPurge.compareAndSet(last, now)) {
            return 0;
        }
        return em.createQuery("delete from IdempotencyRow r where r.createdAt < :cutoff")
                .setParameter("cutoff", now - KEEP_MILLIS).executeUpdate();
    }

    @Override
    public void answer(String id, int status, String body) {
        IdempotencyRow row = em.find(IdempotencyRow.class, id);
        if (row != null) {
            row.answer(status, body);
        }
    }

    @Override
    public void withheld(String id, int status) {
        IdempotencyRow row = em.find(IdempotencyRow.class, id);
        if (row != null) {
            row.withheld(status);
        }
    }

    @Override
    public void release(String id) {
        IdempotencyRow row = em.find(IdempotencyRow.class, id);
        if (row != null && row.status() == 0) {
            em.remove(row);
        }
    }
}

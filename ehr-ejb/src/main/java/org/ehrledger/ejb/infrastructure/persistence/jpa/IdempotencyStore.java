package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.nio.charset.StandardCharsets;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import org.ehrledger.consensus.crypto.Digest;

/**
 * Idempotency keys of API writes, in the replica's database so that they outlive a restart: the first
 * request with a key is reserved before it runs and its answer stored after; a retry gets that answer.
 * Each call is its own short transaction. Keys are kept {@value #KEEP_MILLIS} ms.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class IdempotencyStore {

    /** How long keys are kept. */
    public static final long KEEP_MILLIS = 24 * 3_600_000L;

    @PersistenceContext(unitName = "ehr")
    private EntityManager em;

    /** The id of a caller's key. */
    public static String id(String caller, String key) {
        return Digest.sha256((caller + "\n" + key).getBytes(StandardCharsets.UTF_8)).hex();
    }

    /**
     * Reserves a key for a request: null if it is new (the caller goes on), else the row of the request that
     * used it first (answered, or still running, or never answered because the replica stopped).
     */
    public IdempotencyRow reserve(String id, String requestHash, long now) {
        IdempotencyRow existing = em.find(IdempotencyRow.class, id);
        if (existing != null && now - existing.createdAt() > KEEP_MILLIS) {
            em.remove(existing);
            em.flush();
            existing = null;
        }
        if (existing != null) {
            em.detach(existing);
            return existing;
        }
        em.persist(new IdempotencyRow(id, requestHash, now));
        em.flush(); // a concurrent reservation of the same key fails here, and is reported to its caller as such
        return null;
    }

    /** Stores the answer of a reserved key. */
    public void answer(String id, int status, String body) {
        IdempotencyRow row = em.find(IdempotencyRow.class, id);
        if (row != null) {
            row.answer(status, body);
        }
    }

    /** Releases a reserved key whose request was not carried out (it may be used again). */
    public void release(String id) {
        IdempotencyRow row = em.find(IdempotencyRow.class, id);
        if (row != null && row.status() == 0) {
            em.remove(row);
        }
    }
}

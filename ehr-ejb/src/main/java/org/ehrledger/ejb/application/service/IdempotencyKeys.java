package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;

import org.ehrledger.consensus.codec.Digest;

/**
 * Idempotency keys of API writes, as the web layer sees them: the first request with a caller's key is
 * reserved before it runs and its answer kept after; a retry gets that answer. Kept in the replica's
 * database so that they outlive a restart (implemented in infrastructure, by
 * {@code infrastructure.persistence.jpa.IdempotencyStore}); each call is its own short transaction.
 */
public interface IdempotencyKeys {

    /** Most keys one caller holds at a time. */
    int MAX_KEYS_PER_CALLER = 10_000;

    /** The outcome of a reservation. */
    sealed interface Reservation {
    }

    /** The key is new and now reserved for this request under {@code id}: go on. */
    record Reserved(String id) implements Reservation {
    }

    /** The key was used before, by {@code first}. */
    record Used(FirstRequest first) implements Reservation {
    }

    /** The caller holds {@value #MAX_KEYS_PER_CALLER} keys already; nothing was reserved. */
    record Full() implements Reservation {
    }

    /**
     * The request a key was first used for.
     *
     * @param requestHash {@link #requestHash} of that request
     * @param status      its answer's HTTP status; 0 while it is being processed (or was never answered)
     * @param replayable  whether its answer is kept to be replayed (false while running, and for answers with secrets)
     * @param body        the kept answer (null unless replayable)
     */
    record FirstRequest(String requestHash, int status, boolean replayable, String body) {
    }

    /** What identifies a request for its key: a hash of its method, path, query and body. */
    static String requestHash(String method, String rawPath, String rawQuery, byte[] body) {
        byte[] what = (method + " " + rawPath + "?" + rawQuery + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[what.length + body.length];
        System.arraycopy(what, 0, all, 0, what.length);
        System.arraycopy(body, 0, all, what.length, body.length);
        return Digest.sha256(all).hex();
    }

    /**
     * Reserves a caller's key for a request: {@link Reserved} if it is new (the caller goes on), {@link Used}
     * with the request that used it first (answered, or still running, or never answered because the replica
     * stopped), or {@link Full} when the caller holds too many keys.
     */
    Reservation reserve(String caller, String key, String requestHash, long now);

    /** Keeps the answer of a reserved key, to be replayed to a retry. */
    void answer(String id, int status, String body);

    /**
     * Notes that a reserved key's request was carried out with an answer that is not kept (it carried a
     * secret): a retry learns the status, never the answer.
     */
    void withheld(String id, int status);

    /** Releases a reserved key whose request was not carried out (it may be used again). */
    void release(String id);
}

package org.ehrledger.ejb.application.ledger;

import java.util.function.LongSupplier;

import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;

/**
 * Bounded work for whoever asks a replica to verify its chain. The answer for anyone is the last verified
 * prefix extended by the blocks committed since (each block is checked once, however many callers ask;
 * concurrent callers wait for the one running check and share it). Verifying the whole stored chain again
 * from genesis, which finds rows edited behind the replica's back, is for administrators, one at a time,
 * and a result at most {@code fullReuseMillis} old for the same head is shared. A chain found broken stays
 * reported broken until a full verification finds it sound.
 */
public final class VerificationCache {

    /** The chain as the cache sees it. */
    public interface Chain {
        /** The current head block's header. */
        BlockHeader head();

        /** Verifies the stored blocks after {@code previous} (null: from genesis) up to height {@code to}. */
        ChainVerifier.Progress verify(BlockHeader previous, long to);
    }

    /**
     * An answer: the report, how many blocks were checked to give it (0: from the cache), whether it comes
     * from a full verification just now, and when the whole chain was last verified from genesis.
     */
    public record Result(ChainVerifier.Report report, long checked, boolean full, long fullyVerifiedAt) {
    }

    private record State(ChainVerifier.Report report, BlockHeader last, long fullAt, String fullHead) {
    }

    private final Chain chain;
    private final LongSupplier clock;
    private final long fullReuseMillis;
    private final Object extending = new Object();
    private final Object whole = new Object();
    private volatile State state;

    /** A cache over a chain; full verifications of the same head are shared for {@code fullReuseMillis}. */
    public VerificationCache(Chain chain, LongSupplier clock, long fullReuseMillis) {
        this.chain = chain;
        this.clock = clock;
        this.fullReuseMillis = fullReuseMillis;
    }

    /** The verification of the current head: the cached prefix plus the blocks since (anyone). */
    public Result current() {
        synchronized (extending) {
            BlockHeader head = chain.head();
            State s = state;
            if (s == null) {
                return publishFull(head); // the first request after start verifies from genesis, once
            }
            if (!s.report().valid() || s.last() == null || head.height() <= s.last().height()) {
                return new Result(s.report(), 0, false, s.fullAt());
            }
            ChainVerifier.Progress p = chain.verify(s.last(), head.height());
            state = new State(p.report(), p.last() == null ? s.last() : p.last(), s.fullAt(), s.fullHead());
            return new Result(p.report(), p.report().blocks() - s.report().blocks(), false, s.fullAt());
        }
    }

    /** The whole chain verified again from genesis (administrators; one at a time, recent results shared). */
    public Result full() {
        synchronized (whole) {
            BlockHeader head = chain.head();
            State s = state;
            if (s != null && head.hash().hex().equals(s.fullHead()) && clock.getAsLong() - s.fullAt() < fullReuseMillis) {
                return new Result(s.report(), 0, true, s.fullAt());
            }
            ChainVerifier.Progress p = chain.verify(null, head.height());
            long now = clock.getAsLong();
            synchronized (extending) {
                state = new State(p.report(), p.last(), now, head.hash().hex());
            }
            return new Result(p.report(), p.report().blocks(), true, now);
        }
    }

    private Result publishFull(BlockHeader head) {
        ChainVerifier.Progress p = chain.verify(null, head.height());
        long now = clock.getAsLong();
        state = new State(p.report(), p.last(), now, head.hash().hex());
        return new Result(p.report(), p.report().blocks(), true, now);
    }
}

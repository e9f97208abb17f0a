package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;

/** Verification answers cost each block one check, whoever asks and however often; full ones are the administrators'. */
class VerificationCacheTest {

    /** A chain of headers whose verification counts the blocks it checks (and can be made slow or broken). */
    private static final class FakeChain implements VerificationCache.Chain {
        final List<BlockHeader> blocks = new ArrayList<>();
        final AtomicLong checked = new AtomicLong();
        final AtomicLong runs = new AtomicLong();
        volatile long badHeight = -1;
        volatile long delayMillis;

        FakeChain grow(int n) {
            for (int i = 0; i < n; i++) {
                long h = blocks.size();
                blocks.add(new BlockHeader(h, h == 0 ? BlockHeader.NONE : blocks.get((int) h - 1).hash(), 0,
                        Digest.sha256(new byte[] {(byte) h}), Digest.sha256(new byte[0]), h, h, Digest.sha256(new byte[] {1})));
            }
            return this;
        }

        @Override
        public BlockHeader head() {
            return blocks.get(blocks.size() - 1);
        }

        @Override
        public ChainVerifier.Progress verify(BlockHeader previous, long to) {
            runs.incrementAndGet();
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long from = previous == null ? 0 : previous.height() + 1;
            BlockHeader last = previous;
            for (long h = from; h <= to; h++) {
                checked.incrementAndGet();
                if (h == badHeight) {
                    return new ChainVerifier.Progress(new ChainVerifier.Report(false, h, h, "altered", last == null
                            ? BlockHeader.NONE : last.hash()), last);
                }
                last = blocks.get((int) h);
            }
            return new ChainVerifier.Progress(new ChainVerifier.Report(true, to + 1, -1, "", last.hash()), last);
        }
    }

    @Test
    void concurrentCallersAfterTheHeadMovedShareOneCheckOfTheNewBlocksOnly() throws Exception {
        FakeChain chain = new FakeChain().grow(100);
        VerificationCache cache = new VerificationCache(chain, System::currentTimeMillis, 60_000);
        VerificationCache.Result first = cache.current();
        assertEquals(100, first.checked());
        assertTrue(first.full());

        chain.grow(3);
        chain.delayMillis = 200;
        chain.checked.set(0);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<VerificationCache.Result>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(pool.submit(() -> {
                go.await();
                return cache.current();
            }));
        }
        go.countDown();
        long answered = 0;
        for (Future<VerificationCache.Result> f : calls) {
            VerificationCache.Result r = f.get();
            assertTrue(r.report().valid());
            assertEquals(103, r.report().blocks());
            assertEquals(chain.head().hash(), r.report().headHash());
            answered += r.checked();
        }
        pool.shutdown();
        assertEquals(3, chain.checked.get(), "each new block checked once");
        assertEquals(3, answered);
        assertEquals(0, cache.current().checked(), "an unchanged head is answered from the cache");
    }

    @Test
    void aFullVerificationIsSharedForTheSameHeadAndRunsAgainWhenItMoves() {
        AtomicLong now = new AtomicLong(1_000);
        FakeChain chain = new FakeChain().grow(10);
        VerificationCache cache = new VerificationCache(chain, now::get, 60_000);
        assertEquals(10, cache.full().checked());
        now.addAndGet(1_000);
        VerificationCache.Result shared = cache.full();
        assertEquals(0, shared.checked());
        assertEquals(1_000, shared.fullyVerifiedAt());
        now.addAndGet(60_000);
        assertEquals(10, cache.full().checked(), "a minute later it runs again");
        chain.grow(1);
        assertEquals(11, cache.full().checked(), "a new head: the whole chain again");
        assertEquals(0, cache.current().checked(), "and anyone's answer is that one");
    }

    @Test
    void aBrokenChainStaysReportedBrokenUntilAFullVerificationFindsItSound() {
        FakeChain chain = new FakeChain().grow(10);
        chain.badHeight = 4;
        VerificationCache cache = new VerificationCache(chain, System::currentTimeMillis, 0);
        VerificationCache.Result broken = cache.current();
        assertFalse(broken.report().valid());
        assertEquals(4, broken.report().firstBadHeight());
        chain.grow(2);
        long runs = chain.runs.get();
        VerificationCache.Result again = cache.current();
        assertFalse(again.report().valid());
        assertEquals(0, again.checked());
        assertEquals(runs, chain.runs.get(), "nobody can make a broken replica check again and again");
        chain.badHeight = -1;
        assertTrue(cache.full().report().valid());
        assertTrue(cache.current().report().valid());
    }
}

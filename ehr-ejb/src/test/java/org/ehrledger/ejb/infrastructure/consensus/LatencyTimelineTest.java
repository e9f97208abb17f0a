package org.ehrledger.ejb.infrastructure.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.EventKind;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.Second;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.Snapshot;

class LatencyTimelineTest {

    private static final long T0 = 1_800_000_000_000L; // a whole second
    private static final long MS = 1_000_000L;

    @Test
    void requestsFallInTheSecondTheyWereAnsweredInAndEmptySecondsAreShownAsZero() {
        LatencyTimeline t = new LatencyTimeline(60);
        t.record(T0 + 10, 100 * MS, true);
        t.record(T0 + 999, 300 * MS, true);
        t.record(T0 + 2_000, 50 * MS, true);
        t.record(T0 + 2_500, 30_000 * MS, false);

        Snapshot s = t.snapshot(T0 + 2_900, 4);
        assertEquals(List.of(T0 - 1_000, T0, T0 + 1_000, T0 + 2_000), s.seconds().stream().map(Second::at).toList());
        assertEquals(List.of(0L, 2L, 0L, 1L), s.seconds().stream().map(Second::committed).toList());
        assertEquals(1, s.seconds().get(3).failed());
        assertEquals(300.0, s.seconds().get(1).maxMillis());
        assertEquals(50.0, s.seconds().get(3).maxMillis(), "a failed request's time is not a latency");
        assertEquals(0.0, s.seconds().get(2).p99Millis());
    }

    @Test
    void theRingHoldsOnlyItsCapacityAndASecondComingRoundAgainStartsEmpty() {
        LatencyTimeline t = new LatencyTimeline(10);
        t.record(T0, 5 * MS, true);
        t.record(T0 + 10_000, 7 * MS, true); // the same slot, ten seconds later
        Snapshot s = t.snapshot(T0 + 10_000, 600);
        assertEquals(10, s.seconds().size(), "never more than the capacity");
        assertEquals(1, s.seconds().get(9).committed());
        assertEquals(7.0, s.seconds().get(9).maxMillis());
        assertEquals(0, s.seconds().stream().mapToLong(Second::committed).sum() - 1, "the old second is gone");

        t.record(T0 + 500, 9 * MS, true); // a straggler from a second the ring moved past
        assertEquals(1, t.snapshot(T0 + 10_000, 10).seconds().stream().mapToLong(Second::committed).sum());
        assertThrows(IllegalArgumentException.class, () -> new LatencyTimeline(0));
    }

    @Test
    void percentilesAreWithinOneSixteenthOfTheExactValueAndNeverAboveTheMaximum() {
        LatencyTimeline t = new LatencyTimeline(5);
        for (int i = 1; i <= 1_000; i++) {
            t.record(T0, i * MS, true); // 1 .. 1000 ms
        }
        Second s = t.snapshot(T0, 1).seconds().get(0);
        assertEquals(1_000, s.committed());
        assertEquals(500, s.p50Millis(), 500 / 16.0, "p50");
        assertEquals(990, s.p99Millis(), 990 / 16.0, "p99");
        assertEquals(1_000.0, s.maxMillis());
        assertTrue(s.p99Millis() <= s.maxMillis());

        for (long micros : new long[] {0, 1, 15, 16, 17, 1_000, 123_456, 30_000_000, 1L << 26, (1L << 27) - 1}) {
            long middle = LatencyTimeline.binMiddle(LatencyTimeline.bin(micros));
            assertTrue(Math.abs(middle - micros) <= Math.max(1, micros / 16), micros + " -> " + middle);
        }
        assertEquals(LatencyTimeline.BINS - 1, LatencyTimeline.bin(Long.MAX_VALUE), "beyond the range: the last bin");
    }

    @Test
    void eventsAreReturnedWithinTheWindowAndTheOldestAreDroppedBeyondTheBound() {
        LatencyTimeline t = new LatencyTimeline(60);
        t.event(T0 - 120_000, EventKind.VIEW_CHANGE, "view 1, primary replica 2");
        t.event(T0 + 1_500, EventKind.EMERGENCY_DECLARED, "emergency state declared");
        Snapshot s = t.snapshot(T0 + 2_000, 60);
        assertEquals(1, s.events().size());
        assertEquals(EventKind.EMERGENCY_DECLARED, s.events().get(0).kind());

        for (int i = 0; i < LatencyTimeline.MAX_EVENTS + 10; i++) {
            t.event(T0 + 3_000 + i, EventKind.REPLICA_LEFT, "replica 4 left #" + i);
        }
        List<LatencyTimeline.Event> kept = t.snapshot(T0 + 4_000, 60).events();
        assertEquals(LatencyTimeline.MAX_EVENTS, kept.size());
        assertEquals("replica 4 left #10", kept.get(0).label(), "the oldest went first");
    }

    @Test
    void concurrentWritersLoseNoRequestAndAWriteCostsAFewMicrosecondsAtMost() throws Exception {
        LatencyTimeline t = new LatencyTimeline(600);
        int threads = 4;
        int each = 500_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] writers = new Thread[threads];
        long[] nanos = new long[threads];
        for (int w = 0; w < threads; w++) {
            int id = w;
            writers[w] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long began = System.nanoTime();
                for (int i = 0; i < each; i++) {
                    t.record(T0 + (i % 3) * 1_000, (1 + i % 700) * MS, true); // three seconds, contended
                }
                nanos[id] = System.nanoTime() - began;
            });
            writers[w].start();
        }
        start.countDown();
        for (Thread w : writers) {
            w.join(TimeUnit.MINUTES.toMillis(2));
        }
        Snapshot s = t.snapshot(T0 + 2_000, 3);
        assertEquals((long) threads * each, s.seconds().stream().mapToLong(Second::committed).sum());

        // The cost of a write: one thread alone, after warm-up (a request's latency is 10^5..10^6 times more).
        LatencyTimeline alone = new LatencyTimeline(600);
        for (int i = 0; i < 2_000_000; i++) {
            alone.record(T0 + i / 10_000, (1 + i % 700) * MS, true);
        }
        int n = 2_000_000;
        long began = System.nanoTime();
        for (int i = 0; i < n; i++) {
            alone.record(T0 + 300_000 + i / 10_000, (1 + i % 700) * MS, true);
        }
        double perWrite = (System.nanoTime() - began) / (double) n;
        double contended = java.util.Arrays.stream(nanos).max().orElse(0) / (double) each;
        System.out.printf("LatencyTimeline.record: %.0f ns alone, %.0f ns with %d writers on one second%n",
                perWrite, contended, threads);
        assertTrue(perWrite < 5_000, perWrite + " ns per write");
    }
}

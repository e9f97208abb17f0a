package org.ehrledger.ejb.infrastructure.consensus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * This replica's recent history, for the administrator's cluster page: the latency of the ledger requests
 * submitted through this replica (submit to committed answer) in one-second buckets, and the events that
 * explain it (view changes, the emergency state, replicas joining or leaving) on the same timeline.
 *
 * <p>Bounded: a ring of {@code seconds} buckets, each a fixed log-linear histogram of {@value #BINS} counters
 * (relative error at most 1/16 above 16 µs, exact below), and at most {@value #MAX_EVENTS} events. A bucket
 * is reused when its second comes round again. Each replica keeps its own; nothing is sent to the others.
 *
 * <p>Thread-safe. {@link #record} runs once per request: one short lock on its second's bucket, never on the
 * whole ring, so writers of the same second wait only for each other's increments.
 */
public final class LatencyTimeline {

    /** Highest power of two of the histogram (2^27 µs, about 134 s, is beyond any commit timeout): longer falls in the last bin. */
    private static final int MAX_EXPONENT = 26;
    /** Counters of each bucket's histogram. */
    static final int BINS = 16 + (MAX_EXPONENT - 3) * 8;
    /** Events kept (oldest dropped first). */
    static final int MAX_EVENTS = 512;

    /** What happened, on the timeline. */
    public enum EventKind {
        /** A new view is installed: another replica is primary. */
        VIEW_CHANGE,
        /** The emergency state came into force (an executed block reached the quorum of votes). */
        EMERGENCY_DECLARED,
        /** The emergency state ended (voted out or expired). */
        EMERGENCY_ENDED,
        /** A replica joined this replica's JGroups view. */
        REPLICA_JOINED,
        /** A replica left this replica's JGroups view. */
        REPLICA_LEFT
    }

    /** One event: when (epoch milliseconds), what, and a short label for people. */
    public record Event(long at, EventKind kind, String label) {
    }

    /**
     * One second: its start (epoch milliseconds), requests answered (committed) and failed in it, and the
     * committed requests' latency percentiles and maximum in milliseconds (0 when none).
     */
    public record Second(long at, long committed, long failed, double p50Millis, double p99Millis, double maxMillis) {
    }

    /** The last seconds, oldest first (empty seconds included), and the events within them. */
    public record Snapshot(long now, List<Second> seconds, List<Event> events) {
    }

    private final Bucket[] ring;
    private final ArrayDeque<Event> events = new ArrayDeque<>();

    /** A timeline of the last {@code seconds} seconds (1 to 3,600). */
    public LatencyTimeline(int seconds) {
        if (seconds < 1 || seconds > 3_600) {
            throw new IllegalArgumentException("seconds: 1 to 3600, not " + seconds);
        }
        ring = new Bucket[seconds];
        for (int i = 0; i < seconds; i++) {
            ring[i] = new Bucket();
        }
    }

    /** Seconds this timeline holds. */
    public int capacity() {
        return ring.length;
    }

    /** Records one request answered at {@code nowMillis} after {@code latencyNanos}; failed ones count apart. */
    public void record(long nowMillis, long latencyNanos, boolean committed) {
        long second = Math.floorDiv(nowMillis, 1000);
        Bucket b = ring[(int) Math.floorMod(second, ring.length)];
        synchronized (b) {
            if (b.second != second) {
                if (second < b.second) {
                    return; // a straggler from a second the ring has already moved past
                }
                b.reset(second);
            }
            if (!committed) {
                b.failed++;
                return;
            }
            long micros = Math.max(0, latencyNanos / 1000);
            b.bins[bin(micros)]++;
            b.committed++;
            b.maxMicros = Math.max(b.maxMicros, micros);
        }
    }

    /** Adds an event at {@code atMillis}. */
    public void event(long atMillis, EventKind kind, String label) {
        synchronized (events) {
            if (events.size() == MAX_EVENTS) {
                events.removeFirst();
            }
            events.addLast(new Event(atMillis, kind, label));
        }
    }

    /** The last {@code seconds} (at most the capacity) up to and including the second of {@code nowMillis}. */
    public Snapshot snapshot(long nowMillis, int seconds) {
        int n = Math.min(Math.max(seconds, 1), ring.length);
        long last = Math.floorDiv(nowMillis, 1000);
        long first = last - n + 1;
        List<Second> out = new ArrayList<>(n);
        int[] bins = new int[BINS];
        for (long s = first; s <= last; s++) {
            Bucket b = ring[(int) Math.floorMod(s, ring.length)];
            long committed;
            long failed;
            long max;
            synchronized (b) {
                if (b.second != s) {
                    out.add(new Second(s * 1000, 0, 0, 0, 0, 0));
                    continue;
                }
                committed = b.committed;
                failed = b.failed;
                max = b.maxMicros;
                System.arraycopy(b.bins, 0, bins, 0, BINS);
            }
            out.add(new Second(s * 1000, committed, failed, millis(percentile(bins, committed, 0.50, max)),
                    millis(percentile(bins, committed, 0.99, max)), millis(max)));
        }
        List<Event> within = new ArrayList<>();
        synchronized (events) {
            for (Event e : events) {
                if (e.at() >= first * 1000 && e.at() <= nowMillis) {
                    within.add(e);
                }
            }
        }
        return new Snapshot(nowMillis, List.copyOf(out), List.copyOf(within));
    }

    private static double millis(long micros) {
        return Math.round(micros / 100.0) / 10.0;
    }

    /** The histogram bin of a latency in microseconds: exact below 16, then 8 bins per power of two. */
    static int bin(long micros) {
        if (micros < 16) {
            return (int) micros;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(micros);
        if (exponent > MAX_EXPONENT) {
            return BINS - 1;
        }
        int sub = (int) (micros >>> (exponent - 3)) & 7;
        return 16 + (exponent - 4) * 8 + sub;
    }

    /** The middle of a bin's range of microseconds. */
    static long binMiddle(int bin) {
        if (bin < 16) {
            return bin;
        }
        int exponent = 4 + (bin - 16) / 8;
        int sub = (bin - 16) % 8;
        long low = (8L + sub) << (exponent - 3);
        long width = 1L << (exponent - 3);
        return low + width / 2;
    }

    /** The {@code q}-quantile of {@code count} values in {@code bins}, never above the exact maximum. */
    static long percentile(int[] bins, long count, double q, long max) {
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * count));
        long seen = 0;
        for (int i = 0; i < bins.length; i++) {
            seen += bins[i];
            if (seen >= rank) {
                return Math.min(binMiddle(i), max);
            }
        }
        return max;
    }

    private static final class Bucket {
        long second = Long.MIN_VALUE;
        long committed;
        long failed;
        long maxMicros;
        final int[] bins = new int[BINS];

        void reset(long second) {
            this.second = second;
            committed = 0;
            failed = 0;
            maxMicros = 0;
            java.util.Arrays.fill(bins, 0);
        }
    }
}

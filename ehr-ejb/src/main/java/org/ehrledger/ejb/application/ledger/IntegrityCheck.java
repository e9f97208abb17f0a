package org.ehrledger.ejb.application.ledger;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.StateTable;
import org.ehrledger.ejb.application.contracts.StateWatch;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;

/**
 * The check of everything a replica stores that its start does not read: the whole chain (links, Merkle
 * roots, commit certificates), every world-state row against its digest and every table against its
 * stored accumulator, every stored content against its record's hash. It runs after the replica has
 * started, while it serves and executes blocks, a page at a time, each page in a transaction of its own,
 * so it neither delays the start nor holds up writes; {@link #progress()} says how far it got.
 *
 * <p>A table is summed while blocks change it, in constant memory: each page is read while no block executes
 * (a short wait for blocks), and the changes blocks make to rows already counted are summed apart
 * ({@link StateWatch}); the rows as read plus those changes must equal the table's stored accumulator. A table
 * that does not add up is counted once more with blocks held back, which is exact; only then is it reported
 * damaged. (If a transaction that executed blocks rolled back during the count, the count is not trusted and
 * is simply repeated.)
 */
public final class IntegrityCheck {

    private static final Logger LOG = Logger.getLogger(IntegrityCheck.class.getName());
    /** Blocks verified per transaction. */
    static final int CHAIN_CHUNK = 512;
    /** Contents read per transaction. */
    static final int PAGE = 512;
    /** State rows read per page, while no block executes (blocks wait for the read, not for the digests). */
    static final int STATE_PAGE = 256;
    /** Counts of a table while blocks execute that a rolled-back transaction may disturb, before an exact count. */
    static final int ATTEMPTS = 3;

    /** The stores as seen in one transaction. */
    public record Stores(StateStore state, LedgerStore ledger) {
    }

    /** Where the check reads. */
    public interface Source {
        /** Runs {@code work} in a read-only transaction of its own. */
        <T> T read(Function<Stores, T> work);

        /** Runs {@code work} in a transaction of its own while no block executes or commits. */
        <T> T quiescent(Function<Stores, T> work);
    }

    /**
     * What the check found: counts, the tables it had to count again with blocks held back, and the damage
     * (null if none).
     */
    public record Outcome(long blocks, long rows, long contents, long millis, List<StateTable> recounted, LedgerDamage damage) {
    }

    /**
     * How the check shares the machine: after each step (a chunk of blocks, a page of rows or contents) it waits
     * so that its work takes at most {@code duty} of the time it runs (1: no wait), so a replica that checks itself
     * leaves its cores to the replica's users and to the other replicas on the machine. Its work is the CPU time of
     * the check's thread (a wait for blocks to finish, or for the disk, is not work and earns no pause). While the
     * machine's cores are busy (at least {@value #BUSY} of them in use since the previous step: a peer booting on the
     * same machine, a burst of requests) it takes a quarter of that share: it slows down, but still finishes.
     */
    public static final class Pace {
        /** The share of the machine's cores in use above which the check takes a quarter of its duty. */
        static final double BUSY = 0.9;
        private final double duty;
        private final Sleeper sleeper;
        private final LongSupplier clock;
        private final DoubleSupplier machineLoad;
        private long since;
        private long slept;

        /** How a pace waits (a test counts instead). */
        public interface Sleeper {
            void sleep(long nanos) throws InterruptedException;
        }

        /**
         * A pace measuring the work as the CPU time of the thread that runs the check, and the machine's load as
         * the operating system reports it.
         */
        public Pace(double duty, Sleeper sleeper) {
            this(duty, sleeper, Pace::threadCpuNanos, Pace::machineLoad);
        }

        /**
         * A pace measuring the work on {@code clock} (nanoseconds) and the machine's load (0 to 1 of its cores,
         * since the previous reading) with {@code machineLoad}.
         */
        public Pace(double duty, Sleeper sleeper, LongSupplier clock, DoubleSupplier machineLoad) {
            if (!(duty > 0 && duty <= 1)) {
                throw new IllegalArgumentException("the check's duty is above 0 and at most 1, not " + duty);
            }
            this.duty = duty;
            this.sleeper = sleeper;
            this.clock = clock;
            this.machineLoad = machineLoad;
        }

        /** Runs the check as fast as it can. */
        public static Pace unpaced() {
            return new Pace(1, n -> { });
        }

        private static long threadCpuNanos() {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : System.nanoTime();
        }

        /** The machine's CPU use since the previous reading, 0 to 1 of all its cores (0 where it is not known). */
        private static double machineLoad() {
            return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? Math.max(0, os.getCpuLoad()) : 0;
        }

        /** Before the first step (in the thread that runs the check). */
        void start() {
            since = clock.getAsLong();
        }

        /** After a step: waits (1 - duty) / duty of the work the step took (a quarter of the duty on a busy machine). */
        void step() {
            long worked = clock.getAsLong() - since;
            double share = duty >= 1 ? 1 : machineLoad.getAsDouble() >= BUSY ? duty / 4 : duty;
            long wait = share >= 1 ? 0 : (long) (worked * (1 - share) / share);
            if (wait > 0) {
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("integrity check interrupted");
                }
                slept += wait;
            }
            since = clock.getAsLong();
        }

        /** The time it waited in all. */
        long sleptNanos() {
            return slept;
        }
    }

    private final Source source;
    private final StateWatch watch;
    private final ChainVerifier verifier;
    private final Pace pace;
    private volatile String progress = "not started";
    private final List<StateTable> recounted = new java.util.concurrent.CopyOnWriteArrayList<>();

    public IntegrityCheck(Source source, StateWatch watch, ChainVerifier verifier) {
        this(source, watch, verifier, Pace.unpaced());
    }

    public IntegrityCheck(Source source, StateWatch watch, ChainVerifier verifier, Pace pace) {
        this.source = source;
        this.watch = watch;
        this.verifier = verifier;
        this.pace = pace;
    }

    /** How far the check got, for operators (one line). */
    public String progress() {
        return progress;
    }

    /** Runs the whole check; the damage it found is in the outcome (null if none). */
    public Outcome run() {
        long started = System.nanoTime();
        pace.start();
        long[] counts = new long[3];
        LedgerDamage damage;
        try {
            counts[0] = chain();
            counts[1] = state();
            counts[2] = contents();
            damage = null;
        } catch (DamagedLedgerException e) {
            damage = e.damage();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        progress = damage != null ? "damaged: " + damage.summary()
                : String.format(Locale.ROOT, "verified in %.1f s: %,d blocks, %,d state rows, %,d contents%s", millis / 1000.0,
                counts[0], counts[1], counts[2], pace.sleptNanos() == 0 ? ""
                        : String.format(Locale.ROOT, " (%.1f s of it paused for the replica's other work)", pace.sleptNanos() / 1e9));
        return new Outcome(counts[0], counts[1], counts[2], millis, List.copyOf(recounted), damage);
    }

    /** The stored chain up to the head as the check begins; returns the blocks verified. */
    private long chain() {
        long[] stored = source.read(s -> {
            Block head = s.ledger().head();
            return new long[] {head == null ? -1 : head.header().height(), s.state().height()};
        });
        if (stored[0] < 0) {
            if (stored[1] != 0) {
                throw DamagedLedgerException.noBlockBeside(stored[1]);
            }
            return 0; // a new replica whose genesis block is not committed yet: no block is stored to check
        }
        long top = stored[0];
        BlockHeader previous = null;
        long from = 0;
        while (from <= top) {
            long to = Math.min(top, from + CHAIN_CHUNK - 1);
            BlockHeader after = previous;
            long start = from;
            ChainVerifier.Progress p = source.read(s -> verifier.extend(after, s.ledger().pages(start, to, 128)));
            if (!p.report().valid()) {
                throw new DamagedLedgerException(p.report().firstBadHeight(), p.report().problem());
            }
            previous = p.last();
            from = to + 1;
            progress = String.format(Locale.ROOT, "checking the chain: %,d of %,d blocks", from, top + 1);
            pace.step();
        }
        return top + 1;
    }

    /** Every state table; returns the rows read. */
    private long state() {
        long rows = 0;
        for (StateTable t : StateTable.values()) {
            rows += table(t, rows);
        }
        return rows;
    }

    private long table(StateTable t, long before) {
        long read = 0;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Count c = count(t, before);
            read = c.read();
            if (c.addsUp()) {
                return read;
            }
            if (c.changes().trustworthy()) {
                break; // damaged, it seems: confirmed below
            }
            int a = attempt;
            LOG.info(() -> t.tableName() + " counted again (" + (c.changes().disturbed() ? "a transaction that executed blocks "
                    + "rolled back while it was read" : "the database returned its keys in another order than expected")
                    + ", attempt " + a + ")");
        }
        // Exact, with blocks held back: a table that still does not add up is damaged (or its keys are ordered
        // otherwise by the database); this names what is wrong.
        LOG.info(() -> t.tableName() + " counted again with blocks held back");
        recounted.add(t);
        String problem = source.quiescent(s -> new WorldState(s.state()).verifyTable(t));
        if (problem != null) {
            throw new DamagedLedgerException(source.read(s -> s.state().height()), problem);
        }
        return read;
    }

    /** One count of a table while blocks execute. */
    private record Count(long read, boolean addsUp, StateWatch.Changes changes) {
    }

    /**
     * Sums a table's rows a page at a time, each page read while no block executes (a short wait for blocks),
     * checking every row against its digest; the changes blocks make to rows already counted are summed by the
     * watch, so that at the end the two sums together must equal the table's stored accumulator.
     */
    private Count count(StateTable t, long before) {
        source.quiescent(s -> {
            watch.start(t);
            return null;
        });
        try {
            byte[] sum = new byte[StateCommitment.BYTES];
            long read = 0;
            String after = "";
            while (true) {
                String from = after;
                List<StateStore.Row> page = source.quiescent(s -> {
                    List<StateStore.Row> p = s.state().scan(t, from, STATE_PAGE);
                    watch.counted(t, p.isEmpty() ? null : p.get(p.size() - 1).key(), p.size() < STATE_PAGE);
                    return p;
                });
                for (StateStore.Row r : page) {
                    String problem = WorldState.checkRow(t, r);
                    if (problem != null) {
                        throw new DamagedLedgerException(source.read(s -> s.state().height()), problem);
                    }
                    if (r.key().compareTo(after) <= 0) {
                        watch.misordered(t);
                    }
                    StateCommitment.apply(sum, r.digest(), 1);
                    after = r.key();
                }
                read += page.size();
                progress = String.format(Locale.ROOT, "checking the state: %s, %,d rows (%,d in all)", t.tableName(), read,
                        before + read);
                pace.step();
                if (page.size() < STATE_PAGE) {
                    break;
                }
            }
            long rows = read;
            return source.quiescent(s -> {
                StateWatch.Changes changes = watch.stop(t);
                byte[] now = StateCommitment.sum(List.of(sum, changes.delta()));
                boolean addsUp = Arrays.equals(now, s.state().accumulators().getOrDefault(t, new byte[StateCommitment.BYTES]));
                return new Count(rows, addsUp, changes);
            });
        } finally {
            watch.stop(t);
        }
    }

    /** Every stored content against its record's hash on chain; returns the contents read. */
    private long contents() {
        long read = 0;
        String after = "";
        while (true) {
            String from = after;
            List<String> suspects = new ArrayList<>();
            List<Map.Entry<String, byte[]>> page = source.read(s -> {
                List<Map.Entry<String, byte[]>> p = s.ledger().contents(from, PAGE);
                WorldState state = new WorldState(s.state());
                for (Map.Entry<String, byte[]> c : p) {
                    if (!matches(state, c.getKey(), c.getValue())) {
                        suspects.add(c.getKey());
                    }
                }
                return p;
            });
            for (String id : suspects) {
                // An erasure may have committed between the two reads: look again with blocks held back.
                boolean damaged = source.quiescent(s -> {
                    byte[] content = s.ledger().content(id);
                    return content != null && !matches(new WorldState(s.state()), id, content);
                });
                if (damaged) {
                    throw contentDamaged(id);
                }
            }
            read += page.size();
            progress = String.format(Locale.ROOT, "checking the contents: %,d records", read);
            pace.step();
            if (page.size() < PAGE) {
                return read;
            }
            after = page.get(page.size() - 1).getKey();
        }
    }

    /** The damage of a stored content that does not match its record's hash on chain (not tied to one block). */
    static DamagedLedgerException contentDamaged(String recordId) {
        return new DamagedLedgerException(-1, "the stored content of record " + recordId
                + " does not match its hash on chain (edited in the database?)");
    }

    /** Whether a stored content belongs to a live record and matches its hash on chain. */
    static boolean matches(WorldState state, String recordId, byte[] content) {
        ClinicalRecord record = state.record(recordId);
        if (record == null && state.stagedRecord(recordId) != null) {
            record = state.stagedRecord(recordId).record(); // staged by an open import, not yet published
        }
        return record != null && !record.erased() && Digest.sha256(content).equals(record.contentHash());
    }
}

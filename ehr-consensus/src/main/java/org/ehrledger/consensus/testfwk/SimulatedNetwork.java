package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.ehrledger.consensus.api.Transport;

/**
 * A discrete-event network in simulated time. Every delivery is scheduled with a seeded random delay
 * (so messages reorder), may be lost or duplicated, is dropped across partitions and to crashed nodes,
 * and passes through interceptors that can rewrite, drop or multiply it. Nodes are ticked every
 * {@value #TICK_MILLIS} simulated milliseconds.
 */
public final class SimulatedNetwork {

    /** Interval between timer ticks of every node. */
    public static final long TICK_MILLIS = 5;

    /** A node attached to the network. */
    public interface Node {
        /** Delivers a frame. */
        void deliver(byte[] frame, long now);

        /** Drives timers. */
        void tick(long now);
    }

    /** Sees every frame before it is scheduled; returns the frames to deliver instead (empty to drop). */
    @FunctionalInterface
    public interface Interceptor {
        /** Rewrites one frame from {@code from} to {@code to}. */
        List<byte[]> intercept(int from, int to, byte[] frame);
    }

    private record Event(long time, long order, int to, byte[] frame) {
    }

    private final Random random;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.time != b.time
            ? Long.compare(a.time, b.time) : Long.compare(a.order, b.order));
    private final Map<Integer, Node> nodes = new HashMap<>();
    private final Map<Integer, Integer> partitionOf = new HashMap<>();
    /** One-way cuts: frames from the first node to the second are dropped (asymmetric links). */
    private final java.util.Set<Long> cuts = new java.util.HashSet<>();
    /** A node's twin: a second instance with the same identity, reached under a virtual id. */
    private final Map<Integer, Integer> twinOf = new HashMap<>();
    /** Paused nodes (SIGSTOP): frames to them wait, and their timers do not run, until they resume. */
    private final Map<Integer, List<byte[]>> paused = new HashMap<>();
    private final List<Interceptor> interceptors = new ArrayList<>();
    private long now = 1_767_225_600_000L; // 2026-01-01T00:00Z
    private long order;
    private long nextTick = now;
    private long minDelay = 1;
    private long maxDelay = 10;
    private double lossRate;
    private double duplicateRate;
    private long sent;
    private long delivered;
    private long dropped;

    /** A network whose every random choice derives from {@code seed}. */
    public SimulatedNetwork(long seed) {
        this.random = new Random(seed);
    }

    /** Current simulated time in epoch milliseconds. */
    public long now() {
        return now;
    }

    /**
     * Moves the clock forward to a given time (e.g. the real time, so certificates issued now are valid
     * at the simulated consensus time); pending events and ticks keep their order.
     */
    public void advanceTo(long epochMillis) {
        if (epochMillis < now) {
            throw new IllegalArgumentException("the simulated clock only moves forward");
        }
        long shift = epochMillis - now;
        List<Event> pending = new ArrayList<>(queue);
        queue.clear();
        for (Event e : pending) {
            queue.add(new Event(e.time + shift, e.order, e.to, e.frame));
        }
        now = epochMillis;
        nextTick += shift;
    }

    /** Sets the range of one-way delays. */
    public SimulatedNetwork delays(long min, long max) {
        this.minDelay = min;
        this.maxDelay = Math.max(min, max);
        return this;
    }

    /** Sets the probability that a frame is lost. */
    public SimulatedNetwork loss(double rate) {
        this.lossRate = rate;
        return this;
    }

    /** Sets the probability that a frame is delivered twice. */
    public SimulatedNetwork duplication(double rate) {
        this.duplicateRate = rate;
        return this;
    }

    /** Adds an interceptor. */
    public void addInterceptor(Interceptor i) {
        interceptors.add(i);
    }

    /** Removes every interceptor. */
    public void clearInterceptors() {
        interceptors.clear();
    }

    /** Attaches (or re-attaches after a restart) a node. */
    public void attach(int id, Node node) {
        nodes.put(id, node);
    }

    /** Detaches a node: frames to it are dropped, as for a crashed process. */
    public void detach(int id) {
        nodes.remove(id);
    }

    /** Separates the given nodes from all others until {@link #heal()}. */
    public void partition(Set<Integer> group) {
        for (int id : group) {
            partitionOf.put(id, 1);
        }
    }

    /** Cuts each given node off from every other node (each in a partition of its own). */
    public void isolate(int... ids) {
        for (int id : ids) {
            partitionOf.put(id, 100 + id);
        }
    }

    /** Puts a node in a numbered partition group (nodes of different groups cannot talk; 0 is the default group). */
    public void group(int id, int group) {
        partitionOf.put(id, group);
    }

    /** The partition group of a node (0 unless placed in another). */
    public int groupOf(int id) {
        return partitionOf.getOrDefault(id, 0);
    }

    /** Drops every frame from {@code from} to {@code to}, but not the other way, until {@link #heal()}. */
    public void cut(int from, int to) {
        cuts.add(((long) from << 32) | (to & 0xffffffffL));
    }

    /**
     * Pauses a node as SIGSTOP pauses a process: it handles nothing and its timers stand still; frames
     * sent to it wait (as in its socket buffers) until {@link #resume(int)}.
     */
    public void pause(int id) {
        paused.putIfAbsent(id, new ArrayList<>());
    }

    /**
     * Resumes a paused node. As after SIGCONT, its timers run at once, before the frames that waited for it
     * come in (a process's timer thread is scheduled before its transport has re-read its sockets).
     */
    public void resume(int id) {
        List<byte[]> waiting = paused.remove(id);
        Node node = nodes.get(id);
        if (node != null) {
            node.tick(now);
        }
        if (waiting != null) {
            for (byte[] f : waiting) {
                queue.add(new Event(now, order++, id, f));
            }
        }
    }

    /** Removes every partition and every one-way cut. */
    public void heal() {
        partitionOf.clear();
        cuts.clear();
    }

    /**
     * Declares {@code virtualId} the twin of {@code id} (Twins, Bano et al.): a second instance holding the
     * same keys. A frame addressed to {@code id} reaches every instance of it that the sender can reach,
     * so a twin pair running honest code in different partitions equivocates like a Byzantine node.
     */
    public void twin(int id, int virtualId) {
        twinOf.put(id, virtualId);
    }

    private boolean reachable(int from, int to) {
        return partitionOf.getOrDefault(from, 0).equals(partitionOf.getOrDefault(to, 0))
                && !cuts.contains(((long) from << 32) | (to & 0xffffffffL));
    }

    /** The transport of one node. */
    public Transport transport(int self) {
        return new Transport() {
            @Override
            public void setReceiver(Receiver receiver) {
            }

            @Override
            public void start() {
            }

            @Override
            public void send(int destination, byte[] message) {
                SimulatedNetwork.this.send(self, destination, message);
            }

            @Override
            public void close() {
            }
        };
    }

    void send(int from, int to, byte[] frame) {
        sent++;
        List<byte[]> frames = List.of(frame);
        for (Interceptor i : interceptors) {
            List<byte[]> next = new ArrayList<>();
            for (byte[] f : frames) {
                next.addAll(i.intercept(from, to, f));
            }
            frames = next;
        }
        Integer twin = twinOf.get(to);
        for (byte[] f : frames) {
            deliverTo(from, to, f);
            if (twin != null) {
                deliverTo(from, twin, f);
            }
        }
    }

    private void deliverTo(int from, int to, byte[] f) {
        if (!reachable(from, to) || random.nextDouble() < lossRate) {
            dropped++;
            return;
        }
        schedule(to, f);
        if (random.nextDouble() < duplicateRate) {
            schedule(to, f);
        }
    }

    private void schedule(int to, byte[] frame) {
        long delay = minDelay + (long) (random.nextDouble() * (maxDelay - minDelay + 1));
        queue.add(new Event(now + delay, order++, to, frame));
    }

    /** Runs the simulation for a span of simulated time. */
    public void runFor(long millis) {
        runUntil(() -> false, millis);
    }

    /**
     * Runs until the condition holds (checked after each event and tick) or the time is up.
     *
     * @return whether the condition held
     */
    public boolean runUntil(BooleanSupplier condition, long maxMillis) {
        long end = now + maxMillis;
        if (condition.getAsBoolean()) {
            return true;
        }
        while (now < end) {
            Event next = queue.peek();
            if (next != null && next.time <= nextTick && next.time <= end) {
                queue.poll();
                now = Math.max(now, next.time);
                Node node = nodes.get(next.to);
                List<byte[]> waiting = paused.get(next.to);
                if (waiting != null && node != null) {
                    waiting.add(next.frame);
                } else if (node != null) {
                    delivered++;
                    node.deliver(next.frame, now);
                } else {
                    dropped++;
                }
            } else {
                now = Math.min(nextTick, end);
                if (now == nextTick) {
                    nextTick += TICK_MILLIS;
                    for (Integer id : new ArrayList<>(new java.util.TreeSet<>(nodes.keySet()))) {
                        Node node = nodes.get(id);
                        if (node != null && !paused.containsKey(id)) {
                            node.tick(now);
                        }
                    }
                }
            }
            if (condition.getAsBoolean()) {
                return true;
            }
        }
        return condition.getAsBoolean();
    }

    /** Frames handed to the network. */
    public long sent() {
        return sent;
    }

    /** Frames delivered to a node. */
    public long delivered() {
        return delivered;
    }

    /** Frames lost, partitioned away or sent to a crashed node. */
    public long dropped() {
        return dropped;
    }

    /** The random source of this run, for scenario choices that must also be reproducible. */
    public Random random() {
        return random;
    }
}

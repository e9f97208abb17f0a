package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.message.Envelope;

/**
 * Runs a {@link Replica} in production: transport threads authenticate and validate inbound frames in
 * parallel (the expensive signature checks), then hand them to one bounded queue; a single replica
 * thread drains the queue in groups (one log flush per group) and drives the timers. A full queue
 * drops frames, which the protocol recovers from by retransmission.
 */
public final class ReplicaRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReplicaRunner.class.getName());
    private static final long TICK_MILLIS = 10;
    private static final int DRAIN = 512;

    private final Replica replica;
    private final Transport transport;
    private final BlockingQueue<Envelope> queue;
    private final AtomicLong overflow = new AtomicLong();
    private final Thread thread;
    private volatile boolean running;

    /**
     * @param replica       the replica to drive
     * @param transport     its transport (started by {@link #start()})
     * @param queueCapacity bound of the inbound queue
     */
    public ReplicaRunner(Replica replica, Transport transport, int queueCapacity) {
        this(replica, transport, queueCapacity, r -> {
            Thread t = new Thread(r, "pbft-replica-" + replica.id());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * As {@link #ReplicaRunner(Replica, Transport, int)}, with the replica thread made by
     * {@code threads} (an application server's managed thread factory, so that the application runs
     * with the container's transaction and persistence context).
     */
    public ReplicaRunner(Replica replica, Transport transport, int queueCapacity, ThreadFactory threads) {
        this.replica = replica;
        this.transport = transport;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = threads.newThread(this::loop);
    }

    /** Connects the transport and starts the replica thread (recovery runs on it first). */
    public void start() throws Exception {
        running = true;
        transport.setReceiver(frame -> {
            Envelope e = replica.authenticate(frame);
            if (e != null && !queue.offer(e)) {
                overflow.incrementAndGet();
            }
        });
        thread.start();
        transport.start();
    }

    private void loop() {
        try {
            replica.start(System.currentTimeMillis());
            long nextTick = System.currentTimeMillis() + TICK_MILLIS;
            List<Envelope> group = new ArrayList<>(DRAIN);
            while (running && !replica.failed()) {
                long wait = Math.max(0, nextTick - System.currentTimeMillis());
                Envelope first = queue.poll(wait, TimeUnit.MILLISECONDS);
                if (first != null) {
                    group.add(first);
                    queue.drainTo(group, DRAIN - 1);
                    replica.handleAll(group, System.currentTimeMillis());
                    group.clear();
                }
                long now = System.currentTimeMillis();
                if (now >= nextTick) {
                    replica.tick(now);
                    nextTick = now + TICK_MILLIS;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException | Error e) {
            replica.fail(e); // the replica itself fails stop on errors in events; this is the last net
        }
        if (replica.failed()) {
            // Fail-stop: leave the group, so peers treat this replica as crashed instead of as a member
            // that stopped answering; the operator restarts it and it recovers from its log.
            running = false;
            LOG.severe("replica " + replica.id() + " stopped: " + replica.status().failure());
            queue.clear();
            transport.close();
        }
    }

    /** The replica being driven. */
    public Replica replica() {
        return replica;
    }

    /** Frames dropped because the inbound queue was full. */
    public long overflow() {
        return overflow.get();
    }

    /** Stops the replica thread, then the transport. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transport.close();
    }
}

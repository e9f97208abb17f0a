package org.ehrledger.consensus.tool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A TCP proxy in front of one replica's port, for tests and benchmarks of bad links: forwards every connection
 * to the target and, on demand, for the connections from chosen source addresses, delays every chunk by a
 * fixed time (a slow link), resets a fraction of the connections (a lossy link: what was in flight is lost and
 * the peers reconnect), or stops reading (a stalled link). It can also record the bytes it forwards (what a
 * curious host on the path sees). Order is kept; one reader and one writer thread per direction of a
 * connection; at most {@value #MAX_CONNECTIONS} connections and {@value #MAX_QUEUED_CHUNKS} chunks in flight per
 * direction (then the reader waits, as TCP would). {@link LinkProxies} runs several from the command line.
 */
public final class LinkProxy implements AutoCloseable {

    private static final int MAX_CONNECTIONS = 64;
    private static final int MAX_QUEUED_CHUNKS = 2048;
    private static final int CHUNK = 16 * 1024;

    /**
     * What a link suffers: each chunk delayed by {@code delayMillis}; each second, each affected connection reset
     * with probability {@code resetFraction} (and a new one refused with it); reading stopped while {@code stalled}.
     */
    public record Faults(int delayMillis, double resetFraction, boolean stalled) {
        /** A sound link. */
        public static final Faults NONE = new Faults(0, 0, false);

        public Faults {
            if (delayMillis < 0 || delayMillis > 60_000 || !(resetFraction >= 0 && resetFraction <= 1)) {
                throw new IllegalArgumentException("delay 0-60000 ms and reset fraction 0-1, not " + delayMillis
                        + " and " + resetFraction);
            }
        }

        /** Parses {@code delay=<ms> reset=<fraction> stall=<0|1>} (any order, any subset; missing: none). */
        public static Faults parse(String text) {
            int delay = 0;
            double reset = 0;
            boolean stall = false;
            for (String token : text.strip().split("\\s+")) {
                if (token.isEmpty() || token.startsWith("#")) {
                    continue;
                }
                int eq = token.indexOf('=');
                String key = eq < 0 ? token : token.substring(0, eq);
                String value = eq < 0 ? "" : token.substring(eq + 1);
                try {
                    switch (key) {
                        case "delay" -> delay = Integer.parseInt(value);
                        case "reset" -> reset = Double.parseDouble(value);
                        case "stall" -> stall = value.equals("1") || value.equals("true");
                        default -> throw new IllegalArgumentException("unknown fault '" + key + "' (delay, reset, stall)");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a number: " + token);
                }
            }
            return new Faults(delay, reset, stall);
        }

        @Override
        public String toString() {
            return "delay=" + delayMillis + " reset=" + resetFraction + " stall=" + (stalled ? 1 : 0);
        }
    }

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** The connections the faults apply to (their accepted side), for resets. */
    private final Set<Socket> affected = ConcurrentHashMap.newKeySet();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private volatile Faults faults = Faults.NONE;
    private volatile Predicate<InetAddress> faultySources = a -> true;
    private volatile ByteArrayOutputStream recording;
    private volatile int recordLimit;
    private final Thread resetter;

    /** Listens at {@code listen} and forwards to {@code target}. */
    public LinkProxy(String name, InetSocketAddress listen, InetSocketAddress target) throws IOException {
        this.name = name;
        this.target = target;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(listen, 50);
        Thread t = new Thread(this::acceptLoop, "proxy-" + name);
        t.setDaemon(true);
        t.start();
        resetter = new Thread(this::resetLoop, "proxy-" + name + "-reset");
        resetter.setDaemon(true);
        resetter.start();
    }

    /** Applies {@code faults} from now on to the connections from {@code sources}. */
    public void faults(Faults faults, Predicate<InetAddress> sources) {
        faultySources = sources;
        this.faults = faults;
    }

    /** Delays every chunk of connections from {@code sources} by {@code millis} from now on (0: no delay). */
    public void delay(int millis, Predicate<InetAddress> sources) {
        Faults f = faults;
        faults(new Faults(millis, f.resetFraction(), f.stalled()), sources);
    }

    /** The faults in force. */
    public Faults faults() {
        return faults;
    }

    /** Records what is forwarded from now on, both directions, up to {@code maxBytes}. */
    public void record(int maxBytes) {
        recordLimit = maxBytes;
        recording = new ByteArrayOutputStream();
    }

    /** The bytes recorded so far. */
    public byte[] recorded() {
        ByteArrayOutputStream r = recording;
        if (r == null) {
            return new byte[0];
        }
        synchronized (r) {
            return r.toByteArray();
        }
    }

    /** Bytes forwarded so far. */
    public long forwardedBytes() {
        return forwarded.get();
    }

    /** Bytes forwarded late (delayed) so far. */
    public long delayedBytes() {
        return delayed.get();
    }

    /** Connections reset or refused by the faults so far. */
    public long resets() {
        return resets.get();
    }

    /** The port this proxy listens at. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Open connections (each counted once). */
    public int connections() {
        return open.size() / 2;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                boolean faulty = faultySources.test(in.getInetAddress());
                if (open.size() >= 2 * MAX_CONNECTIONS
                        || faulty && ThreadLocalRandom.current().nextDouble() < faults.resetFraction()) {
                    if (faulty) {
                        resets.incrementAndGet();
                    }
                    reset(in);
                    continue;
                }
                Socket out = new Socket();
                try {
                    out.connect(target, 2_000);
                } catch (IOException e) {
                    in.close();
                    continue;
                }
                open.add(in);
                open.add(out);
                if (faulty) {
                    affected.add(in);
                }
                InetAddress source = in.getInetAddress();
                pipe(in, out, source, "up");
                pipe(out, in, source, "down");
            } catch (IOException e) {
                // closed, or one failed connection: go on accepting while open
            }
        }
    }

    /** Once a second, resets each affected connection with the fault's probability. */
    private void resetLoop() {
        while (!listener.isClosed()) {
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
            double p = faults.resetFraction();
            if (p <= 0) {
                continue;
            }
            for (Socket s : affected) {
                if (!faultySources.test(s.getInetAddress())) {
                    continue;
                }
                if (ThreadLocalRandom.current().nextDouble() < p) {
                    resets.incrementAndGet();
                    reset(s);
                }
            }
        }
    }

    private record Chunk(byte[] bytes, long due) {
    }

    private static final Chunk END = new Chunk(new byte[0], 0);

    /** One direction of a connection: a reader stamping chunks with their due time, a writer sending them then. */
    private void pipe(Socket from, Socket to, InetAddress source, String direction) {
        BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(MAX_QUEUED_CHUNKS);
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[CHUNK];
            try (InputStream in = from.getInputStream()) {
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    // a stalled link holds what it read and reads no more (the sender's buffers fill, as TCP's would)
                    while (faults.stalled() && faultySources.test(source) && !from.isClosed()) {
                        Thread.sleep(50);
                    }
                    Faults f = faults;
                    int d = f.delayMillis() > 0 && faultySources.test(source) ? f.delayMillis() : 0;
                    byte[] bytes = Arrays.copyOf(buf, n);
                    if (d > 0) {
                        delayed.addAndGet(n);
                    }
                    record(bytes);
                    queue.put(new Chunk(bytes, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(d)));
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            }
            queue.offer(END);
        }, "proxy-" + name + "-" + direction + "-read");
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.poll(1, TimeUnit.SECONDS);
                    if (c == END || to.isClosed()) {
                        break;
                    }
                    if (c == null) {
                        continue;
                    }
                    long wait = c.due() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    out.write(c.bytes());
                    out.flush();
                    forwarded.addAndGet(c.bytes().length);
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            } finally {
                closeBoth(from, to);
            }
        }, "proxy-" + name + "-" + direction + "-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private void record(byte[] bytes) {
        ByteArrayOutputStream r = recording;
        if (r != null) {
            synchronized (r) {
                if (r.size() + bytes.length <= recordLimit) {
                    r.write(bytes, 0, bytes.length);
                }
            }
        }
    }

    /** Closes with a TCP reset (SO_LINGER 0): the peer sees the connection fail, not end. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    private void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            open.remove(s);
            affected.remove(s);
            try {
                s.close();
            } catch (IOException e) {
                // best effort
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        resetter.interrupt();
        for (Socket s : open) {
            s.close();
        }
    }
}

package org.ehrledger.it;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A TCP proxy the test controls, in front of one replica's port: forwards every connection to the target, and
 * on demand records the bytes it forwards (what a curious host on the path sees) or delays the chunks of
 * connections from chosen source addresses by a fixed time (a slow link). Order is kept; one reader and one
 * writer thread per direction of a connection; at most {@value #MAX_CONNECTIONS} connections and
 * {@value #MAX_QUEUED_CHUNKS} chunks in flight per direction (then the reader waits, as TCP would).
 */
final class LinkProxy implements AutoCloseable {

    private static final int MAX_CONNECTIONS = 64;
    private static final int MAX_QUEUED_CHUNKS = 2048;
    private static final int CHUNK = 16 * 1024;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private volatile int delayMillis;
    private volatile Predicate<InetAddress> delayedSources = a -> true;
    private volatile ByteArrayOutputStream recording;
    private volatile int recordLimit;

    /** Listens at {@code listen} and forwards to {@code target}. */
    LinkProxy(String name, InetSocketAddress listen, InetSocketAddress target) throws IOException {
        this.name = name;
        this.target = target;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(listen, 50);
        Thread t = new Thread(this::acceptLoop, "proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** Delays every chunk of connections from {@code sources} by {@code millis} from now on (0: no delay). */
    void delay(int millis, Predicate<InetAddress> sources) {
        delayedSources = sources;
        delayMillis = millis;
    }

    /** Records what is forwarded from now on, both directions, up to {@code maxBytes}. */
    void record(int maxBytes) {
        recordLimit = maxBytes;
        recording = new ByteArrayOutputStream();
    }

    /** The bytes recorded so far. */
    byte[] recorded() {
        ByteArrayOutputStream r = recording;
        if (r == null) {
            return new byte[0];
        }
        synchronized (r) {
            return r.toByteArray();
        }
    }

    /** Bytes forwarded so far, and how many of them were delayed. */
    long forwardedBytes() {
        return forwarded.get();
    }

    long delayedBytes() {
        return delayed.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                if (open.size() >= MAX_CONNECTIONS) {
                    in.close();
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
                InetAddress source = in.getInetAddress();
                pipe(in, out, source, "up");
                pipe(out, in, source, "down");
            } catch (IOException e) {
                // closed, or one failed connection: go on accepting while open
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
                for (int n; (n = in.read(buf)) >= 0; ) {
                    int d = delayMillis > 0 && delayedSources.test(source) ? delayMillis : 0;
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

    private void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            open.remove(s);
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
        for (Socket s : open) {
            s.close();
        }
    }
}

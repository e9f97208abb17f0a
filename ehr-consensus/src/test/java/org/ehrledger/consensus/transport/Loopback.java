package org.ehrledger.consensus.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** What the transport tests on 127.0.0.1 share: free ports, waiting for a condition, closing what a test opened. */
final class Loopback {

    private Loopback() {
    }

    /** Closes what a test opened, last first. */
    static final class Closer implements AutoCloseable {
        private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();

        void add(AutoCloseable c) {
            opened.add(c);
        }

        @Override
        public void close() {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            opened.clear();
        }
    }

    static boolean waitFor(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }

    /**
     * The first of {@code count} consecutive free ports below the ephemeral range, so that no outgoing connection of
     * a busy test takes one between now and the moment a node binds it (JGroups would then quietly bind the next).
     */
    static int freePorts(int count) throws IOException {
        java.util.Random random = new java.util.Random();
        next:
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = 20_000 + random.nextInt(12_000);
            for (int p = first; p < first + count; p++) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(false);
                    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                } catch (IOException taken) {
                    continue next;
                }
            }
            return first;
        }
        throw new IOException("no free ports");
    }
}

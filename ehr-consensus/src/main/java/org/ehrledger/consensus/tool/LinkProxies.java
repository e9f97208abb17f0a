package org.ehrledger.consensus.tool;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One replica's links made bad on demand, from the command line ({@code ci/cluster.sh} with
 * {@code EHR_LINK_PROXY=N}): a {@link LinkProxy} in front of each replica's JGroups port, whose faults apply to
 * every connection at the faulty replica's own port and, at the others', to the connections the faulty replica
 * opened (it binds an address of its own). The faults are read from a control file, polled every
 * {@value #POLL_MILLIS} ms, so a benchmark changes them during a run without any network channel:
 * {@code delay=<ms> reset=<fraction per second> stall=<0|1>} ({@link LinkProxy.Faults#parse}); an empty or
 * missing file means a sound link. Every change is logged with the counters so far.
 *
 * <p>Usage: {@code LinkProxies <control-file> <faulty-host> <listen-port>:<target-host>:<target-port>[:all] ...}
 * (listening on 127.0.0.1; {@code :all}: the faulty replica's own port, every connection affected).
 */
public final class LinkProxies {

    static final long POLL_MILLIS = 200;

    private LinkProxies() {
    }

    /** Entry point; runs until killed. */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: LinkProxies <control-file> <faulty-host> <listen-port>:<target-host>:<target-port>[:all] ...");
            System.exit(2);
        }
        Path control = Path.of(args[0]);
        String faultyHost = args[1];
        List<LinkProxy> proxies = new ArrayList<>();
        List<Predicate<InetAddress>> sources = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] p = args[i].split(":");
            if (p.length < 3) {
                throw new IllegalArgumentException("not <listen-port>:<target-host>:<target-port>[:all]: " + args[i]);
            }
            int listen = Integer.parseInt(p[0]);
            proxies.add(new LinkProxy("link-" + listen, new InetSocketAddress("127.0.0.1", listen),
                    new InetSocketAddress(p[1], Integer.parseInt(p[2]))));
            boolean all = p.length > 3 && p[3].equals("all");
            sources.add(all ? a -> true : a -> a.getHostAddress().equals(faultyHost));
            log("proxy 127.0.0.1:" + listen + " -> " + p[1] + ":" + p[2] + (all ? " (every connection)" : " (from " + faultyHost + ")"));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (LinkProxy p : proxies) {
                try {
                    p.close();
                } catch (IOException e) {
                    // exiting anyway
                }
            }
        }));
        String applied = null;
        while (true) {
            String text = read(control);
            if (!text.equals(applied)) {
                try {
                    LinkProxy.Faults faults = LinkProxy.Faults.parse(text);
                    for (int i = 0; i < proxies.size(); i++) {
                        proxies.get(i).faults(faults, sources.get(i));
                    }
                    log("faults now " + faults + "; so far " + counters(proxies));
                } catch (IllegalArgumentException e) {
                    log("control file " + control + " ignored: " + e.getMessage());
                }
                applied = text;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static String read(Path control) {
        try {
            return Files.exists(control) ? Files.readString(control).strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String counters(List<LinkProxy> proxies) {
        long forwarded = 0;
        long delayed = 0;
        long resets = 0;
        for (LinkProxy p : proxies) {
            forwarded += p.forwardedBytes();
            delayed += p.delayedBytes();
            resets += p.resets();
        }
        return forwarded + " bytes forwarded, " + delayed + " delayed, " + resets + " connections reset";
    }

    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }
}

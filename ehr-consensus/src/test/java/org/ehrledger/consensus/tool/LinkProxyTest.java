package org.ehrledger.consensus.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinkProxyTest {

    private ServerSocket echo;
    private LinkProxy proxy;

    @BeforeEach
    void up() throws IOException {
        echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException e) {
                            // the test closed it
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        proxy = new LinkProxy("test", new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
    }

    @AfterEach
    void down() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.port());
        s.setSoTimeout(3_000);
        return s;
    }

    private static long roundTripMillis(Socket s) throws IOException {
        long t = System.nanoTime();
        s.getOutputStream().write(42);
        s.getOutputStream().flush();
        assertEquals(42, s.getInputStream().read());
        return (System.nanoTime() - t) / 1_000_000;
    }

    @Test
    void aDelayedLinkAddsTheDelayInEachDirectionAndASoundOneNone() throws IOException {
        try (Socket s = connect()) {
            assertTrue(roundTripMillis(s) < 150);
            proxy.faults(LinkProxy.Faults.parse("delay=150"), a -> true);
            assertTrue(roundTripMillis(s) >= 300, "150 ms each way");
            proxy.faults(LinkProxy.Faults.NONE, a -> true);
            assertTrue(roundTripMillis(s) < 150);
        }
    }

    @Test
    void aStalledLinkForwardsNothingUntilItIsReleased() throws IOException {
        try (Socket s = connect()) {
            roundTripMillis(s);
            proxy.faults(LinkProxy.Faults.parse("stall=1"), a -> true);
            s.setSoTimeout(600);
            s.getOutputStream().write(7);
            s.getOutputStream().flush();
            assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
            proxy.faults(LinkProxy.Faults.NONE, a -> true);
            s.setSoTimeout(3_000);
            assertEquals(7, s.getInputStream().read());
        }
    }

    @Test
    void aLossyLinkResetsConnectionsAndOnlyThoseOfTheFaultySources() throws Exception {
        proxy.faults(LinkProxy.Faults.parse("reset=1"), a -> false); // nobody is faulty
        try (Socket s = connect()) {
            Thread.sleep(1_300);
            roundTripMillis(s); // still open after a reset round
        }
        proxy.faults(LinkProxy.Faults.parse("reset=1"), a -> true);
        try (Socket s = connect()) {
            assertThrows(IOException.class, () -> {
                for (int i = 0; i < 50; i++) {
                    roundTripMillis(s);
                    Thread.sleep(100);
                }
            }, "a new connection is refused (reset) at once or within a second");
        }
        assertTrue(proxy.resets() >= 1);
    }

    @Test
    void faultsAreParsedFromTheControlFileAndBadOnesRefused() {
        assertEquals(new LinkProxy.Faults(300, 0.05, true), LinkProxy.Faults.parse(" delay=300\nreset=0.05 stall=1 "));
        assertEquals(LinkProxy.Faults.NONE, LinkProxy.Faults.parse(""));
        assertThrows(IllegalArgumentException.class, () -> LinkProxy.Faults.parse("delay=-1"));
        assertThrows(IllegalArgumentException.class, () -> LinkProxy.Faults.parse("reset=2"));
        assertThrows(IllegalArgumentException.class, () -> LinkProxy.Faults.parse("jitter=5"));
        assertThrows(IllegalArgumentException.class, () -> LinkProxy.Faults.parse("delay=soon"));
    }
}

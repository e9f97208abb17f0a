package org.ehrledger.consensus.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.junit.jupiter.api.Test;

/**
 * The links' TLS suites: the fastest for the JVM first (AES-GCM only where C2 runs it on the CPU's AES instructions,
 * ChaCha20-Poly1305 otherwise), every suite offered by every node, so that nodes preferring differently still connect.
 */
class LinkTlsTest {

    private final NodeKeys[] keys = {KeyPairs.deterministic(1), KeyPairs.deterministic(2)};
    private final LinkTls server = new LinkTls(0, keys[0], id -> id == 0 || id == 1 ? keys[id].publicKeys() : null, Duration.ofSeconds(5));
    private final LinkTls client = new LinkTls(1, keys[1], id -> id == 0 || id == 1 ? keys[id].publicKeys() : null, Duration.ofSeconds(5));

    @Test
    void aJvmWithoutC2PrefersChaCha20AndOneWithTheAesIntrinsicsAesGcm() {
        assertEquals("TLS_CHACHA20_POLY1305_SHA256", LinkTls.cipherSuites(false)[0]);
        assertEquals("TLS_AES_128_GCM_SHA256", LinkTls.cipherSuites(true)[0]);
        assertEquals(Set.of(LinkTls.cipherSuites(true)), Set.of(LinkTls.cipherSuites(false)), "the same suites offered");
        assertEquals(3, LinkTls.cipherSuites(true).length);

        // This JVM: the suite it prefers follows what its JIT can do.
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (args.contains("-XX:TieredStopAtLevel=1") || args.contains("-Xint")) {
            assertFalse(LinkTls.aesAccelerated(), "no C2 here: " + args);
        }
        assertEquals(List.of(LinkTls.cipherSuites(LinkTls.aesAccelerated())), LinkTls.cipherSuites());
        assertEquals(LinkTls.cipherSuites(), List.of(server.clientParameters().getCipherSuites()), "what a node offers");
    }

    @Test
    void theAcceptingNodesPreferenceDecidesAndNodesPreferringDifferentlyStillConnect() throws Exception {
        String[] chachaFirst = LinkTls.cipherSuites(false);
        String[] aesFirst = LinkTls.cipherSuites(true);
        assertEquals("TLS_CHACHA20_POLY1305_SHA256", handshake(chachaFirst, aesFirst));
        assertEquals("TLS_AES_128_GCM_SHA256", handshake(aesFirst, chachaFirst));
        // A node of an earlier version offered AES-GCM only: a node preferring ChaCha20 still connects with it.
        String[] aesOnly = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"};
        assertEquals("TLS_AES_128_GCM_SHA256", handshake(chachaFirst, aesOnly));
        assertEquals("TLS_AES_128_GCM_SHA256", handshake(aesOnly, chachaFirst));
        // And this JVM's own parameters, on both ends, agree on its preferred suite.
        assertEquals(LinkTls.cipherSuites().get(0), handshake(null, null));
    }

    /** The suite a client offering {@code clientSuites} and a server preferring {@code serverSuites} agree on (null: the node's own). */
    private String handshake(String[] serverSuites, String[] clientSuites) throws Exception {
        SSLParameters sp = server.serverParameters();
        if (serverSuites != null) {
            sp.setCipherSuites(serverSuites);
        }
        SSLParameters cp = client.clientParameters();
        if (clientSuites != null) {
            cp.setCipherSuites(clientSuites);
        }
        try (SSLServerSocket listening = (SSLServerSocket) server.context().getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listening.setSSLParameters(sp);
            CompletableFuture<String> accepted = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket in = (SSLSocket) listening.accept()) {
                    InputStream is = in.getInputStream();
                    int b = is.read();
                    in.getOutputStream().write(b + 1);
                    in.getOutputStream().flush();
                    return in.getSession().getCipherSuite();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket out = (SSLSocket) client.context().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listening.getLocalPort())) {
                out.setSSLParameters(cp);
                OutputStream os = out.getOutputStream();
                os.write(41);
                os.flush();
                assertEquals(42, out.getInputStream().read(), "data crosses the link");
                String suite = out.getSession().getCipherSuite();
                assertEquals(suite, accepted.get(10, TimeUnit.SECONDS), "both ends use one suite");
                assertEquals("TLSv1.3", out.getSession().getProtocol());
                return suite;
            }
        }
    }
}

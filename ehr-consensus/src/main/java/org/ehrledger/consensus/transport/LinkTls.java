package org.ehrledger.consensus.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.logging.Logger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.PeerTls;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * TLS 1.3 for the JGroups links of one node, with the network's own keys and no certificate authority.
 * At start-up the node makes a self-signed X.509 certificate over its genesis Ed25519 key, naming its node id;
 * a peer (client or server side, client authentication is required) is accepted only if its certificate
 * carries exactly the genesis key of the node id it names: a replica's key from the genesis configuration or
 * a client's from the client directory. The TLS handshake proves possession of that key, so the peer's node
 * id ({@link #peerId(SSLSession)}) is authenticated for the life of the connection.
 *
 * <p>{@link #socketFactory(AddressOwners)} plugs this into JGroups' TCP transport, with bounded handshakes and
 * checks that bind TCP addresses to node ids.
 */
public final class LinkTls implements PeerTls {

    private static final Logger LOG = Logger.getLogger(LinkTls.class.getName());
    private static final String PROTOCOL = "TLSv1.3";
    /**
     * Both ends are ours, so the suite is chosen for speed: AES-GCM where the JIT runs it on the CPU's AES and
     * carry-less multiply instructions (C2 with its AES and GHASH intrinsics: about 0.5-0.9 GB/s per core here),
     * ChaCha20-Poly1305 where it does not: a JVM without C2 ({@code -XX:TieredStopAtLevel=1}, as {@code ci/cluster.sh}
     * and the tests run replicas) runs both in plain Java, ChaCha20-Poly1305 at about 200 MB/s per core here and AES-GCM
     * at about 39 (2026-12-04, docs/PERFORMANCE.md): a whole-history import spent 6 % of the network's CPU in the
     * links' AES-GCM. Every node offers all three suites and the accepting side's order decides, so nodes that prefer
     * differently (one on C2, one without) still connect.
     */
    private static final String[] CIPHER_SUITES = cipherSuites(aesAccelerated());
    private static final String SUBJECT_PREFIX = "CN=ehr-node-";
    private static final String ALIAS = "node";
    private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    /** "No well-defined expiration" (RFC 5280, 4.1.2.5): the genesis key, not a date, decides trust. */
    private static final long NOT_AFTER = 253402300799000L;

    private final int self;
    private final IntFunction<PublicKeys> genesisKeys;
    private final SSLContext context;
    private final int handshakeTimeoutMillis;
    private final AtomicLong rejectedPeers = new AtomicLong();
    private final AtomicLong failedHandshakes = new AtomicLong();
    private final AtomicLong refusedAddresses = new AtomicLong();
    private final AtomicLong overflowedLinks = new AtomicLong();

    /**
     * @param self             this node's id (named in its certificate)
     * @param keys             this node's keys; the Ed25519 one is the TLS key
     * @param genesisKeys      the genesis public keys of any node id, null when unknown
     * @param handshakeTimeout longest time a TLS handshake (and the JGroups greeting after it) may take
     */
    public LinkTls(int self, NodeKeys keys, IntFunction<PublicKeys> genesisKeys, Duration handshakeTimeout) {
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero() || handshakeTimeout.toMillis() > 60_000) {
            throw new IllegalArgumentException("the handshake timeout must be between 1 ms and 60 s");
        }
        this.self = self;
        this.genesisKeys = genesisKeys;
        this.handshakeTimeoutMillis = (int) handshakeTimeout.toMillis();
        try {
            KeyPair pair = keys.signingKeyPair();
            X509Certificate certificate = selfSignedCertificate(self, pair);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            // The key store lives only in memory; a throw-away password, never stored or logged.
            char[] password = java.util.UUID.randomUUID().toString().toCharArray();
            store.setKeyEntry(ALIAS, pair.getPrivate(), password, new Certificate[] {certificate});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(store, password);
            context = SSLContext.getInstance(PROTOCOL);
            context.init(kmf.getKeyManagers(), new TrustManager[] {new GenesisTrustManager()}, new SecureRandom());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS for node " + self, e);
        }
    }

    /** TLS 1.3's suites, fastest first: AES-GCM first when {@code aesAccelerated}, else ChaCha20-Poly1305. */
    static String[] cipherSuites(boolean aesAccelerated) {
        String chacha = "TLS_CHACHA20_POLY1305_SHA256";
        String aes128 = "TLS_AES_128_GCM_SHA256";
        String aes256 = "TLS_AES_256_GCM_SHA384"; // AES-128 does 10 rounds to AES-256's 14
        return aesAccelerated ? new String[] {aes128, aes256, chacha} : new String[] {chacha, aes128, aes256};
    }

    /**
     * Whether this JVM runs AES-GCM on the CPU's instructions: it has C2 (HotSpot's optimising compiler, where
     * those intrinsics live) and both intrinsics are on. A JVM that does not say is taken to (the JDK's default).
     */
    static boolean aesAccelerated() {
        try {
            var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            boolean tiered = Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue());
            boolean c2 = !tiered || Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()) >= 4;
            return c2 && Boolean.parseBoolean(vm.getVMOption("UseAESIntrinsics").getValue())
                    && Boolean.parseBoolean(vm.getVMOption("UseGHASHIntrinsics").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }

    /** The suites this node offers, its preferred first (what it chooses when it accepts a connection). */
    static List<String> cipherSuites() {
        return List.of(CIPHER_SUITES);
    }

    /** TLS for a node of a network: replica keys from the genesis configuration, client keys from the directory. */
    public static LinkTls forNetwork(int self, NodeKeys keys, ClusterConfig genesis, ClientDirectory clients,
                                     Duration handshakeTimeout) {
        return new LinkTls(self, keys, new KeyDirectory(genesis, clients)::keys, handshakeTimeout);
    }

    /** The node's SSL context (TLS 1.3, its own certificate, genesis-pinned trust). */
    @Override
    public SSLContext context() {
        return context;
    }

    /** Parameters for the connecting side: TLS 1.3 only, AEAD suites in {@link #cipherSuites()} order. */
    @Override
    public SSLParameters clientParameters() {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(CIPHER_SUITES.clone());
        p.setUseCipherSuitesOrder(true);
        return p;
    }

    /** Parameters for the accepting side: TLS 1.3 only, the client must authenticate. */
    @Override
    public SSLParameters serverParameters() {
        SSLParameters p = clientParameters();
        p.setNeedClientAuth(true);
        return p;
    }

    /**
     * A JGroups socket factory for the TCP transport ({@code TCP.setSocketFactory}) over this context.
     *
     * @param owners which node listens at which TCP address; connections that contradict it are refused
     */
    public org.jgroups.util.SocketFactory socketFactory(AddressOwners owners) {
        return new TlsSocketFactory(this, owners);
    }

    /** Longest time a handshake may take, in ms. */
    int handshakeTimeoutMillis() {
        return handshakeTimeoutMillis;
    }

    /** This node's id. */
    int self() {
        return self;
    }

    /** Peers turned away because their certificate does not carry a genesis key. */
    public long rejectedPeers() {
        return rejectedPeers.get();
    }

    /** Handshakes that failed or timed out (including those of rejected peers). */
    public long failedHandshakes() {
        return failedHandshakes.get();
    }

    /** Authenticated peers refused because they claimed, or answered at, an address of another node. */
    public long refusedAddresses() {
        return refusedAddresses.get();
    }

    /** Connections closed because their peer left too much unread (a paused or Byzantine peer). */
    public long overflowedLinks() {
        return overflowedLinks.get();
    }

    void linkOverflowed() {
        overflowedLinks.incrementAndGet();
    }

    void handshakeFailed() {
        failedHandshakes.incrementAndGet();
    }

    void addressRefused() {
        refusedAddresses.incrementAndGet();
    }

    @Override
    public int peerOf(SSLSession session) throws SSLPeerUnverifiedException {
        return peerId(session);
    }

    /** The authenticated node id of the peer of a completed handshake. */
    public static int peerId(SSLSession session) throws SSLPeerUnverifiedException {
        Certificate[] chain = session.getPeerCertificates();
        try {
            return nodeIdOf((X509Certificate) chain[0]);
        } catch (CertificateException e) {
            throw new SSLPeerUnverifiedException(e.getMessage());
        }
    }

    private static int nodeIdOf(X509Certificate certificate) throws CertificateException {
        String subject = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
        if (subject.startsWith(SUBJECT_PREFIX)) {
            try {
                int id = Integer.parseInt(subject.substring(SUBJECT_PREFIX.length()));
                if (subject.equals(SUBJECT_PREFIX + id) && id >= 0) {
                    return id;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new CertificateException("certificate subject is not a node id");
    }

    /**
     * A self-signed X.509 v3 certificate over a node's Ed25519 key, naming the node id; built with Bouncy Castle's
     * ASN.1 classes (bcprov) and signed with the JDK's Ed25519.
     */
    static X509Certificate selfSignedCertificate(int id, KeyPair pair) throws GeneralSecurityException, IOException {
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(ED25519);
        V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
        tbs.setSerialNumber(new ASN1Integer(new BigInteger(63, new SecureRandom()).add(BigInteger.ONE)));
        tbs.setSignature(algorithm);
        X500Name name = new X500Name(SUBJECT_PREFIX + id);
        tbs.setIssuer(name);
        tbs.setSubject(name);
        tbs.setStartDate(new Time(new Date(System.currentTimeMillis() - 86_400_000L)));
        tbs.setEndDate(new Time(new Date(NOT_AFTER)));
        tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
        TBSCertificate body = tbs.generateTBSCertificate();
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(pair.getPrivate());
        signer.update(body.getEncoded(ASN1Encoding.DER));
        byte[] der = new DERSequence(new ASN1Encodable[] {body, algorithm, new DERBitString(signer.sign())})
                .getEncoded(ASN1Encoding.DER);
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    /** Trusts exactly the genesis keys, on both sides of a connection. */
    private final class GenesisTrustManager extends X509ExtendedTrustManager {

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length != 1) {
                rejectedPeers.incrementAndGet();
                throw new CertificateException("a node presents exactly its own self-signed certificate");
            }
            int id;
            try {
                id = nodeIdOf(chain[0]);
            } catch (CertificateException e) {
                rejectedPeers.incrementAndGet();
                throw e;
            }
            PublicKeys keys = genesisKeys.apply(id);
            if (keys == null || !keys.isSigningKey(chain[0].getPublicKey())) {
                rejectedPeers.incrementAndGet();
                LOG.fine(() -> "node " + self + ": TLS peer claiming node " + id + " has no genesis key");
                throw new CertificateException("the certificate of node " + id + " does not carry its genesis key");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

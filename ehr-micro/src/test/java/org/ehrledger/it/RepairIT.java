package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLSocket;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.tool.LinkProxy;
import org.ehrledger.consensus.transport.LinkTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An operator's view of a replica whose database was edited behind its back: it says it is damaged and
 * where, serves nothing else, and {@code ci/cluster.sh repair N} rebuilds it from its peers while its
 * own accounts survive. The links between the replicas cross networks nobody here controls: the blocks of
 * a repair travel encrypted and only between replicas, and a slow link to the primary slows writes down
 * without losing any.
 *
 * <p>Every replica's JGroups port sits behind a {@link LinkProxy} at its genesis address (the replica binds
 * another port and advertises the genesis one, as behind port forwarding); replica 1 (the primary of view 0)
 * binds to 127.0.0.2 for all of its JGroups traffic, so the proxies can tell its connections apart and delay
 * them. Replica 4 fetches blocks from the other replicas through recording proxies.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepairIT {

    private static final int DAMAGED = 4;
    private static final String PATIENT_PASSWORD = "repair it patient password 1";

    private static final int HTTP_BASE = 18981;
    private static final int JGROUPS_BASE = 19000;
    /** Where the replicas really listen for JGroups, behind the proxies at their genesis addresses. */
    private static final int HIDDEN_JGROUPS_BASE = JGROUPS_BASE + 50;
    private static final int SYNC_BASE = JGROUPS_BASE + 200;
    /** Recording proxies in front of replicas 1-3's block sync listeners, for replica 4. */
    private static final int RECORDED_SYNC_BASE = JGROUPS_BASE + 250;
    private static final String PRIMARY_HOST = "127.0.0.2";
    /** The PostgreSQL server replica 4 moves to (the default, JGroups base + 50, is a hidden JGroups port here). */
    private static final int PG_PORT = 19350;

    private static LocalNetwork net;
    private static String patientId;
    private static long tamperedHeight;
    private static String transactionWithPatientId;
    private static final List<LinkProxy> JGROUPS_PROXIES = new ArrayList<>();
    private static final List<LinkProxy> SYNC_PROXIES = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.fresh("it-repair", HTTP_BASE, JGROUPS_BASE);
        net.environment("EHR_PG_PORT", Integer.toString(PG_PORT));
        proxies();
        String adminToken = net.firstAdminToken(net.cluster("up"));
        // Replica 4's own organisation, and a patient whose account lives on replica 4 only.
        net.admit(DAMAGED, "river-admin", adminToken);
        LocalNetwork.Reply patient = net.post(DAMAGED, "/patients", null, Json.createObjectBuilder()
                .add("name", "Rhea Repair").add("birthDate", "1980-03-04").add("contact", "rhea@example.org")
                .add("password", PATIENT_PASSWORD).build());
        assertEquals(201, patient.status(), patient.raw());
        patientId = patient.str("patientId");
        tamperedHeight = patient.obj("registration").getJsonNumber("blockHeight").longValue();
        // Beyond the first checkpoint (every 8 batches here): the repair then starts from a checkpoint 2f+1
        // replicas signed and fetches the blocks below it from the peers.
        String token = net.signIn(DAMAGED, patientId, PATIENT_PASSWORD);
        for (int i = 0; i < 10; i++) {
            LocalNetwork.Reply r = net.post(DAMAGED, "/patients/" + patientId + "/records", token, note("before " + i));
            assertEquals(201, r.status(), r.raw());
            transactionWithPatientId = r.obj("committed").getJsonObject("receipt").getJsonObject("entry").getString("transaction");
        }
        awaitSameHead(1, 2, 3, DAMAGED);
        assertTrue(net.status(1).getJsonNumber("stableCheckpoint").longValue() > 0, "a checkpoint is certified");
    }

    /** Starts the proxies and gives the replicas the addresses behind them (node-N/local.properties). */
    private static void proxies() throws Exception {
        String stack = Files.readString(net.root.resolve("server-config/jgroups-tcp.xml"));
        String primaryStack = stack.replace("bind_port=\"${bind_port}\"",
                "bind_port=\"${bind_port}\" client_bind_addr=\"${bind_addr}\"");
        assertNotEquals(stack, primaryStack, "the primary's outgoing JGroups connections leave from its own address");
        Path primaryStackFile = net.home.resolve("primary-jgroups-tcp.xml");
        Files.createDirectories(net.home);
        Files.writeString(primaryStackFile, primaryStack);
        for (int id = 0; id < 4; id++) {
            String host = id == 0 ? PRIMARY_HOST : "127.0.0.1";
            JGROUPS_PROXIES.add(new LinkProxy("jgroups-" + id, new InetSocketAddress("127.0.0.1", JGROUPS_BASE + id),
                    new InetSocketAddress(host, HIDDEN_JGROUPS_BASE + id)));
            List<String> own = new ArrayList<>(List.of("ehr.jgroups.bind-address=" + host,
                    "ehr.jgroups.port=" + (HIDDEN_JGROUPS_BASE + id),
                    "ehr.jgroups.advertise=127.0.0.1:" + (JGROUPS_BASE + id),
                    "ehr.sync.bind-address=127.0.0.1"));
            if (id == 0) {
                own.add("ehr.jgroups.stack=" + primaryStackFile);
            }
            if (id == DAMAGED - 1) {
                StringBuilder peers = new StringBuilder();
                for (int p = 0; p < 4; p++) {
                    int port = p == id ? SYNC_BASE + p : RECORDED_SYNC_BASE + p;
                    peers.append(p == 0 ? "" : ",").append("127.0.0.1:").append(port);
                    if (p != id) {
                        SYNC_PROXIES.add(new LinkProxy("sync-" + p, new InetSocketAddress("127.0.0.1", RECORDED_SYNC_BASE + p),
                                new InetSocketAddress("127.0.0.1", SYNC_BASE + p)));
                    }
                }
                own.add("ehr.sync.peers=" + peers);
            }
            net.localProperties(id + 1, own.toArray(String[]::new));
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
        for (LinkProxy p : JGROUPS_PROXIES) {
            p.close();
        }
        for (LinkProxy p : SYNC_PROXIES) {
            p.close();
        }
    }

    @Test
    @Order(1)
    void aWorldStateRowEditedBehindItsBackIsNamedByTableAndKeyAtStart() throws Exception {
        net.cluster("stop", Integer.toString(DAMAGED));
        // Moves the patient to another organisation in the state tables only: no block says so.
        assertEquals(1, sql("UPDATE STATE_USER SET ORGANISATION = ORGANISATION || '-x' WHERE ROW_KEY = '" + patientId + "'"));
        IllegalStateException start = assertThrows(IllegalStateException.class,
                () -> net.cluster("start", Integer.toString(DAMAGED)), "start reports the damage instead of waiting");
        assertTrue(start.getMessage().contains("table STATE_USER, key " + patientId), start.getMessage());
        assertEquals("damaged", net.status(DAMAGED).getString("state"));
        assertTrue(net.status(DAMAGED).getString("problem").contains("table STATE_USER, key " + patientId));

        net.cluster("stop", Integer.toString(DAMAGED));
        assertEquals(1, sql("UPDATE STATE_USER SET ORGANISATION = SUBSTR(ORGANISATION, 1, LENGTH(ORGANISATION) - 2) "
                + "WHERE ROW_KEY = '" + patientId + "'"));
    }

    @Test
    @Order(2)
    void aReplicaWhoseDatabaseWasEditedSaysItIsDamagedAtWhichHeightAndServesNothingElse() throws Exception {
        net.cluster("stop", Integer.toString(DAMAGED));
        assertTrue(sql("UPDATE LEDGER_ENTRY SET REASON = 'edited behind its back' WHERE HEIGHT = " + tamperedHeight) >= 1);

        IllegalStateException start = assertThrows(IllegalStateException.class,
                () -> net.cluster("start", Integer.toString(DAMAGED)), "start reports the damage instead of waiting");
        assertTrue(start.getMessage().contains("damaged at height " + tamperedHeight), start.getMessage());
        assertTrue(start.getMessage().contains("cluster.sh repair " + DAMAGED), start.getMessage());

        String status = net.cluster("status");
        String line = status.lines().filter(l -> l.startsWith(DAMAGED + " ")).findFirst().orElseThrow();
        assertTrue(line.contains("damaged") && line.contains("height " + tamperedHeight), status);
        assertFalse(line.contains("starting"), status);

        JsonObject s = net.status(DAMAGED);
        assertNotNull(s, "the damaged replica answers its status");
        assertEquals("damaged", s.getString("state"));
        assertEquals(tamperedHeight, s.getJsonNumber("firstBadHeight").longValue());
        assertTrue(s.getString("problem").contains("height " + tamperedHeight), s.toString());
        assertTrue(s.getString("remedy").contains("ci/cluster.sh repair " + DAMAGED), s.toString());
        assertTrue(s.getString("remedy").contains("Repairing a replica"), s.toString());

        LocalNetwork.Reply signIn = net.post(DAMAGED, "/sessions", null, Json.createObjectBuilder()
                .add("userId", patientId).add("password", PATIENT_PASSWORD).build());
        assertEquals(503, signIn.status(), signIn.raw());
        assertEquals("DAMAGED", signIn.str("code"), signIn.raw());
        assertTrue(signIn.str("detail").contains("cluster.sh repair " + DAMAGED), signIn.raw());
        assertEquals(503, net.get(DAMAGED, "/blocks/1").status(), "nor does it serve its chain");
        HttpResponse<String> portal = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(net.web(DAMAGED) + "/"))
                .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, portal.statusCode());
        assertTrue(portal.body().contains("damaged at height " + tamperedHeight), portal.body());
        HttpResponse<String> fhir = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(net.web(DAMAGED) + "/fhir/r4/metadata")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, fhir.statusCode());
        assertTrue(fhir.body().contains("OperationOutcome") && fhir.body().contains("DAMAGED"), fhir.body());

        List<String> logged = Files.readAllLines(net.home.resolve("node-" + DAMAGED).resolve("replica.log")).stream()
                .filter(l -> l.contains("is damaged at height " + tamperedHeight + ":") && l.contains("LedgerRuntime")).toList();
        // (found by the check that follows the start, the damage also stops the replica's consensus, which says why)
        assertEquals(1, logged.size(), "the ledger names the damage once: " + logged);
    }

    @Test
    @Order(3)
    void repairRebuildsTheReplicaFromItsPeersAndItsOwnAccountsStillSignInAndRead() throws Exception {
        for (LinkProxy p : SYNC_PROXIES) {
            p.record(64 << 20);
        }
        String out = net.cluster("repair", Integer.toString(DAMAGED));
        assertTrue(out.contains("replica " + DAMAGED + " repaired"), out);

        assertEquals("running", net.status(DAMAGED).getString("state"));
        awaitSameHead(1, 2, 3, DAMAGED);
        assertTrue(Files.readString(net.home.resolve("node-" + DAMAGED).resolve("replica.log"))
                .contains("blocks from height 1 from replica"), "the blocks below the checkpoint came from the peers");

        Path node = net.home.resolve("node-" + DAMAGED);
        try (var kept = Files.list(node)) {
            Path aside = kept.filter(p -> p.getFileName().toString().startsWith("damaged-")).findFirst().orElseThrow();
            assertTrue(Files.isDirectory(aside.resolve("ehrdb")), "the damaged database is kept, not deleted");
        }

        String token = net.signIn(DAMAGED, patientId, PATIENT_PASSWORD);
        LocalNetwork.Reply records = net.get(DAMAGED, "/patients/" + patientId + "/records", token);
        assertEquals(200, records.status(), records.raw());
        assertTrue(records.raw().contains("Rhea Repair"), "the rebuilt record content opens with the kept keys: "
                + records.raw());
        assertTrue(records.raw().contains("before 9"), records.raw());
        LocalNetwork.Reply write = net.post(DAMAGED, "/patients/" + patientId + "/records", token, note("after"));
        assertEquals(201, write.status(), "the repaired replica takes part in the network again: " + write.raw());
    }

    @Test
    @Order(3)
    void theBlocksOfARepairCrossTheLinkEncrypted() throws Exception {
        byte[] id = patientId.getBytes(StandardCharsets.UTF_8);
        assertTrue(contains(Base64.getDecoder().decode(transactionWithPatientId), id),
                "the ledger's transactions name the patient in clear, so a clear link would show the id");
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        for (LinkProxy p : SYNC_PROXIES) {
            seen.write(p.recorded());
        }
        byte[] bytes = seen.toByteArray();
        assertTrue(bytes.length > 10_000, "the repair's blocks went through the recording proxies: " + bytes.length + " bytes");
        assertFalse(contains(bytes, id), "a host on the path sees the patient id");
        assertFalse(contains(bytes, "Rhea Repair".getBytes(StandardCharsets.UTF_8)), "a host on the path sees a name");
        assertFalse(contains(bytes, "EHRB".getBytes(StandardCharsets.US_ASCII)), "a host on the path sees the protocol");
    }

    @Test
    @Order(4)
    void onlyTheNetworksReplicasCanFetchBlocks() throws Exception {
        Path genesis = net.home.resolve("genesis");
        ClusterConfig network = ClusterConfig.load(genesis.resolve("genesis.properties"));
        NodeKeys replica3 = NodeKeys.decode(Files.readString(genesis.resolve("replica-2.key")).strip());
        assertEquals(0, syncAnswer(new LinkTls(2, replica3, network::replicaKeys, Duration.ofSeconds(5))),
                "a replica of the network fetches blocks (the control)");

        // A stranger claiming to be replica 3 with a self-signed certificate over a key of its own.
        NodeKeys stranger = org.ehrledger.consensus.crypto.KeyPairs.deterministic(System.nanoTime());
        assertNotEquals(replica3.publicKeys(), stranger.publicKeys());
        assertEquals(-1, syncAnswer(new LinkTls(2, stranger, network::replicaKeys, Duration.ofSeconds(5))),
                "a node without a genesis certificate gets no blocks");
        // A client of the network (the gateway client of replica 2): a genesis key, but not a replica's.
        int client = ClusterConfig.FIRST_CLIENT_ID + 1;
        NodeKeys clientKeys = NodeKeys.decode(Files.readString(genesis.resolve("client-" + client + ".key")).strip());
        assertEquals(-1, syncAnswer(new LinkTls(client, clientKeys,
                        i -> i == client ? clientKeys.publicKeys() : network.replicaKeys(i), Duration.ofSeconds(5))),
                "a client of the network that is not a replica gets no blocks");
        // The clear HTTP endpoint of earlier versions is gone.
        assertEquals(404, net.get(1, "/replication/blocks?from=1&max=1").status());
    }

    @Test
    @Order(5)
    void aSlowLinkToThePrimaryDelaysWritesButLosesNoAcknowledgedWrite() throws Exception {
        assertEquals(0, net.status(1).getInt("primary"), "replica 1 is the primary (view 0)");
        String token = net.signIn(DAMAGED, patientId, PATIENT_PASSWORD);
        AtomicInteger phase = new AtomicInteger(0); // 0 before, 1 during, 2 after the fault
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<JsonObject> acked = new ConcurrentLinkedQueue<>();
        List<ConcurrentLinkedQueue<Long>> latencies = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>(),
                new ConcurrentLinkedQueue<>());
        Map<String, AtomicInteger> failures = new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    int during = phase.get();
                    long start = System.nanoTime();
                    try {
                        LocalNetwork.Reply r = net.post(DAMAGED, "/patients/" + patientId + "/records", token,
                                note("slow primary, writer " + writer + " note " + i));
                        if (r.status() == 201) {
                            acked.add(r.obj("committed"));
                            latencies.get(during).add((System.nanoTime() - start) / 1_000_000);
                        } else {
                            failures.computeIfAbsent("HTTP " + r.status(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
                    }
                }
            });
            t.start();
            writers.add(t);
        }
        Thread.sleep(15_000);
        long delayedBefore = JGROUPS_PROXIES.get(0).delayedBytes();
        for (int id = 0; id < 4; id++) {
            // In front of replica 1 every connection; in front of the others, the connections replica 1 opened.
            JGROUPS_PROXIES.get(id).delay(SLOW_LINK_MILLIS, id == 0 ? a -> true : a -> a.getHostAddress().equals(PRIMARY_HOST));
        }
        phase.set(1);
        Thread.sleep(25_000);
        for (LinkProxy p : JGROUPS_PROXIES) {
            p.delay(0, a -> true);
        }
        phase.set(2);
        Thread.sleep(15_000);
        stop.set(true);
        for (Thread t : writers) {
            t.join(90_000);
        }
        String summary = "slow primary link (" + SLOW_LINK_MILLIS + " ms each way): before " + stats(latencies.get(0))
                + "; during " + stats(latencies.get(1)) + "; after " + stats(latencies.get(2)) + "; failed " + failures
                + "; view " + net.status(1).getInt("view") + "; delayed bytes by proxy "
                + JGROUPS_PROXIES.stream().map(p -> Long.toString(p.delayedBytes())).toList();
        System.out.println(summary);
        assertTrue(JGROUPS_PROXIES.get(0).delayedBytes() > delayedBefore, "the primary's traffic was delayed");
        assertTrue(percentile(latencies.get(1), 50) >= percentile(latencies.get(0), 50) + SLOW_LINK_MILLIS / 2,
                "writes were slower while the primary's link was slow: " + summary);
        assertTrue(latencies.get(2).size() >= 10, "writes go on after the fault: " + summary);

        net.awaitSameHead(120_000, 1, 2, 3, 4);
        net.assertAckedWritesPresent(acked, 1, 2, 3, 4);
    }

    private static final int SLOW_LINK_MILLIS = 300;

    private static String stats(java.util.Collection<Long> millis) {
        return "n=" + millis.size() + " p50=" + percentile(millis, 50) + "ms p99=" + percentile(millis, 99) + "ms";
    }

    private static long percentile(java.util.Collection<Long> millis, int p) {
        List<Long> sorted = millis.stream().sorted().toList();
        return sorted.isEmpty() ? -1 : sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * p / 100.0) - 1));
    }

    /**
     * Asks replica 1's block sync listener for block 1 over mutual TLS with the given certificate; the answer's
     * status (0: blocks), or -1 if the connection fails or closes without one.
     */
    private static int syncAnswer(LinkTls tls) {
        try (Socket raw = new Socket("127.0.0.1", SYNC_BASE)) {
            raw.setSoTimeout(10_000);
            SSLSocket ssl = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, "127.0.0.1", SYNC_BASE, true);
            ssl.setSSLParameters(tls.clientParameters());
            ssl.getOutputStream().write(new byte[] {'E', 'H', 'R', 'B', 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1});
            ssl.getOutputStream().flush();
            return ssl.getInputStream().read();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Whether {@code needle} occurs in {@code haystack}, byte for byte. */
    private static boolean contains(byte[] haystack, byte[] needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(new String(needle, StandardCharsets.ISO_8859_1));
    }

    private static JsonObject note(String text) {
        return Json.createObjectBuilder().add("category", "NOTE").add("title", "Self-reported").add("text", text).build();
    }

    /** Edits replica 4's stopped database directly, as someone with file access would; returns the rows changed. */
    private static int sql(String statement) throws SQLException {
        String db = "jdbc:derby:directory:" + net.home.resolve("node-" + DAMAGED).resolve("ehrdb");
        int changed;
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement()) {
            changed = st.executeUpdate(statement);
        }
        try {
            DriverManager.getConnection(db + ";shutdown=true").close();
        } catch (SQLException e) {
            if (!"08006".equals(e.getSQLState())) { // Derby's answer to a clean shutdown
                throw e;
            }
        }
        return changed;
    }

    @Test
    @Order(6)
    void aReplicaMovedFromDerbyToPostgresqlRejoinsAtItsHeadAndItsPatientStillSignsIn() throws Exception {
        awaitSameHead(1, 2, 3, DAMAGED);
        String head = net.status(DAMAGED).getString("headHash");
        LocalNetwork.Reply onDerby = net.get(DAMAGED, "/patients/" + patientId + "/records",
                net.signIn(DAMAGED, patientId, PATIENT_PASSWORD));
        assertEquals(200, onDerby.status(), onDerby.raw());
        String out = net.cluster("move-to-postgresql", Integer.toString(DAMAGED));
        assertTrue(out.contains("replica " + DAMAGED + " moved to PostgreSQL"), out);
        assertTrue(out.contains("tables=24 "), out); // every table of the schema, the imports' two included
        Path node = net.home.resolve("node-" + DAMAGED);
        try (var kept = Files.list(node)) {
            assertTrue(kept.anyMatch(p -> p.getFileName().toString().startsWith("ehrdb-moved-")), "the Derby database is kept");
        }

        net.cluster("start", Integer.toString(DAMAGED));
        assertTrue(Files.readString(node.resolve("replica.properties"))
                .contains("ehr.db.url=jdbc:postgresql://127.0.0.1:" + PG_PORT + "/ehr" + DAMAGED));
        assertEquals(head, net.status(DAMAGED).getString("headHash"), "it opened at the head it had on Derby");
        awaitSameHead(1, 2, 3, DAMAGED);

        String token = net.signIn(DAMAGED, patientId, PATIENT_PASSWORD);
        LocalNetwork.Reply records = net.get(DAMAGED, "/patients/" + patientId + "/records", token);
        assertEquals(200, records.status(), records.raw());
        assertEquals(onDerby.raw(), records.raw(), "the same records, their contents opened with the moved keys");
        LocalNetwork.Reply write = net.post(DAMAGED, "/patients/" + patientId + "/records", token, note("on postgresql"));
        assertEquals(201, write.status(), write.raw());
        awaitSameHead(1, 2, 3, DAMAGED);
    }

    private static void awaitSameHead(int... replicas) throws InterruptedException {
        net.awaitSameHead(60_000, replicas);
    }
}

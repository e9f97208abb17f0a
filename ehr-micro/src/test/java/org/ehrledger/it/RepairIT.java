package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An operator's view of a replica whose database was edited behind its back: it says it is damaged and
 * where, serves nothing else, and {@code ci/cluster.sh repair N} rebuilds it from its peers while its
 * own accounts survive.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepairIT {

    private static final int DAMAGED = 4;
    private static final String PATIENT_PASSWORD = "repair it patient password 1";

    private static LocalNetwork net;
    private static String patientId;
    private static long tamperedHeight;

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.fresh("it-repair", 18981, 19000);
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
            assertEquals(201, net.post(DAMAGED, "/patients/" + patientId + "/records", token, note("before " + i)).status());
        }
        awaitSameHead(1, 2, 3, DAMAGED);
        assertTrue(net.status(1).getJsonNumber("stableCheckpoint").longValue() > 0, "a checkpoint is certified");
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
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
                .filter(l -> l.contains("is damaged at height " + tamperedHeight + ":")).toList();
        assertEquals(1, logged.size(), "the log names the damage once: " + logged);
    }

    @Test
    @Order(3)
    void repairRebuildsTheReplicaFromItsPeersAndItsOwnAccountsStillSignInAndRead() throws Exception {
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

    private static void awaitSameHead(int... replicas) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        String seen = "";
        while (System.currentTimeMillis() < deadline) {
            StringBuilder b = new StringBuilder();
            java.util.Set<String> heads = new java.util.HashSet<>();
            for (int r : replicas) {
                JsonObject s = net.status(r);
                heads.add(s == null ? "down" : s.getString("headHash"));
                b.append(' ').append(r).append(':').append(s == null ? "down" : s.getJsonNumber("height"));
            }
            seen = b.toString();
            if (heads.size() == 1 && !heads.contains("down")) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("replicas did not reach the same head:" + seen);
    }
}

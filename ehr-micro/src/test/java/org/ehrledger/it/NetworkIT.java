package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole system as an operator runs it: {@code ci/cluster.sh up} starts 4 Payara Micro replicas;
 * writes go through the JSON API; the primary is killed with SIGKILL under load; the network carries on;
 * the killed replica comes back and catches up; the whole network restarts with its chain intact.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkIT {

    private static LocalNetwork net;
    private static String adminToken;
    private static String adminPassword;
    private static String lakeAdminPassword;
    private static String patientId;
    private static String patientPassword = "it patient password 1";
    private static String doctorPassword;
    /** Writes the network acknowledged: transaction id, height, block hash. */
    private static final List<JsonObject> ACKED = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.fresh("it-cluster", 18081, 17800);
        String out = net.cluster("up");
        adminPassword = LocalNetwork.adminPassword(out);
        adminToken = net.signIn(1, "admin", adminPassword);
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    @Order(1)
    void allReplicasReportTheSameViewAndHead() throws Exception {
        JsonObject first = net.status(1);
        assertNotNull(first);
        for (int r = 1; r <= 4; r++) {
            JsonObject s = net.status(r);
            assertEquals(r - 1, s.getInt("replicaId"));
            assertEquals("running", s.getString("state"));
            assertEquals(4, s.getJsonArray("members").size());
            assertEquals(first.getInt("view"), s.getInt("view"));
            for (String field : List.of("primary", "lastExecuted", "height", "headHash", "stableCheckpoint")) {
                assertTrue(s.containsKey(field), field);
            }
            // What the links turned away is for administrators only (an anonymous prober learns nothing of it).
            assertFalse(s.containsKey("links"), s.toString());
        }
        {
            // Replica 1's administrator sees it: over TLS, no peer without a genesis key among four genuine ones.
            LocalNetwork.Reply status = net.get(1, "/cluster", adminToken);
            assertEquals(200, status.status());
            JsonObject links = status.json().getJsonObject("links");
            assertTrue(links.getBoolean("tls"), links.toString());
            assertEquals(0, links.getJsonNumber("rejectedPeers").longValue(), links.toString());
            for (String count : List.of("unroutable", "rejectedHellos", "droppedFrames", "failedHandshakes",
                    "refusedAddresses", "overflowedLinks")) {
                assertTrue(links.getJsonNumber(count).longValue() >= 0, count);
            }
        }
    }

    @Test
    @Order(2)
    void aWriteThroughReplicaOneIsReadOnReplicaThree() throws Exception {
        LocalNetwork.Reply staff = net.post(1, "/staff", adminToken, Json.createObjectBuilder().add("userId", "dr-mary")
                .add("name", "Mary Jones").add("role", "PRACTITIONER").build());
        assertEquals(201, staff.status(), staff.raw());
        JsonObject committed = staff.obj("committed");
        long height = committed.getJsonNumber("blockHeight").longValue();
        JsonObject onThree = awaitBlock(3, height);
        assertEquals(committed.getString("blockHash"), onThree.getString("hash"));
        assertTrue(onThree.getInt("entryCount") >= 1);
    }

    @Test
    @Order(3)
    void anotherOrganisationJoinsAndItsDoctorWritesUnderConsent() throws Exception {
        lakeAdminPassword = net.admit(2, "lake-admin", adminToken);
        String lakeAdmin = net.signIn(2, "lake-admin", lakeAdminPassword);
        doctorPassword = net.staff(2, lakeAdmin, "dr-lake", "Lee Lake", "PRACTITIONER");
        net.confirmBySecondAdmin(2, lakeAdmin, "lake-admin-2", "dr-lake");
        LocalNetwork.Reply patient = net.post(2, "/patients", null, Json.createObjectBuilder().add("name", "Ann Patient")
                .add("birthDate", "1970-01-02").add("contact", "ann@example.org").add("password", patientPassword).build());
        assertEquals(201, patient.status(), patient.raw());
        patientId = patient.str("patientId");
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);

        LocalNetwork.Reply refused = net.post(2, "/patients/" + patientId + "/records", doctorToken, note("before consent"));
        assertEquals(422, refused.status(), refused.raw());
        assertEquals("REFUSED", refused.str("code"));

        String patientToken = net.signIn(2, patientId, patientPassword);
        LocalNetwork.Reply consent = net.post(2, "/patients/" + patientId + "/consents", patientToken,
                Json.createObjectBuilder().add("grantee", "dr-lake").add("categories", Json.createArrayBuilder().add("NOTE"))
                        .build());
        assertEquals(201, consent.status(), consent.raw());
        LocalNetwork.Reply ok = net.post(2, "/patients/" + patientId + "/records", doctorToken, note("after consent"));
        assertEquals(201, ok.status(), ok.raw());
        ACKED.add(ok.obj("committed"));
    }

    @Test
    @Order(4)
    void killingThePrimaryUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        int primary = net.status(2).getInt("primary") + 1;
        int writeVia = primary == 2 ? 3 : 2;
        assertEquals(2, writeVia, "the test's accounts live on replica 2, which must not be the primary");
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        long viewBefore = net.status(2).getInt("view");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        ConcurrentLinkedQueue<long[]> ackTimes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<JsonObject> acked = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    try {
                        LocalNetwork.Reply r = net.post(2, "/patients/" + patientId + "/records", doctorToken,
                                note("writer " + id + " note " + i++));
                        if (r.status() == 201) {
                            acked.add(r.obj("committed"));
                            ackTimes.add(new long[] {System.currentTimeMillis()});
                        } else {
                            failures.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            });
            t.start();
            writers.add(t);
        }
        awaitCount(acked, 20, 120_000);
        net.cluster("kill", Integer.toString(primary));
        long killedAt = System.currentTimeMillis();
        long deadline = killedAt + 180_000;
        while (ackTimes.stream().filter(t -> t[0] > killedAt + 1_000).count() < 30 && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
        }
        stop.set(true);
        for (Thread t : writers) {
            t.join(90_000);
        }
        long afterKill = ackTimes.stream().filter(t -> t[0] > killedAt + 1_000).count();
        System.out.println("acknowledged writes: " + acked.size() + " (" + afterKill + " after the kill), failed: "
                + failures.get());
        assertTrue(afterKill >= 30, "writes must continue after the primary's crash; got " + afterKill);
        assertTrue(net.status(2).getInt("view") > viewBefore, "a view change must have happened");
        ACKED.addAll(acked);

        int[] survivors = java.util.stream.IntStream.rangeClosed(1, 4).filter(r -> r != primary).toArray();
        awaitSameHead(survivors);
        assertAckedWritesPresent(survivors);

        net.cluster("start", Integer.toString(primary));
        // A few more writes after the restart: the returning replica learns what it missed from them.
        for (int i = 0; i < 5; i++) {
            LocalNetwork.Reply r = net.post(2, "/patients/" + patientId + "/records", doctorToken, note("after restart " + i));
            assertEquals(201, r.status(), r.raw());
            ACKED.add(r.obj("committed"));
        }
        awaitSameHead(1, 2, 3, 4);
        assertAckedWritesPresent(1, 2, 3, 4);
        String log = Files.readString(net.home.resolve("node-" + primary).resolve("replica.log"));
        assertTrue(log.contains("installed the checkpoint"), "the returning replica caught up by state transfer "
                + "(it missed more than the log window of 16 batches)");
    }

    @Test
    @Order(5)
    void theWholeNetworkRestartsWithTheSameHeadAndAVerifiedChain() throws Exception {
        Map<Integer, String> before = new HashMap<>();
        for (int r = 1; r <= 4; r++) {
            before.put(r, net.status(r).getString("headHash"));
        }
        long records = net.status(1).getJsonNumber("records").longValue(); // counted at most every 10 s
        assertTrue(records >= 1, "replica 1 counts the records on chain: " + net.status(1));
        net.cluster("down");
        for (int r = 1; r <= 4; r++) {
            assertEquals(null, net.status(r), "replica " + r + " must be down");
        }
        String out = net.cluster("up");
        assertFalse(out.contains("password:"), "the administrator is seeded once only");
        for (int r = 1; r <= 4; r++) {
            assertEquals(before.get(r), net.status(r).getString("headHash"), "head of replica " + r);
            // restarted, each counts afresh from its own tables: at least what replica 1 counted before
            assertTrue(net.status(r).getJsonNumber("records").longValue() >= records, "records of replica " + r);
        }
        assertAckedWritesPresent(1, 2, 3, 4);
        for (int r = 1; r <= 4; r++) {
            LocalNetwork.Reply verification = net.get(r, "/blocks/verification");
            assertEquals(200, verification.status(), verification.raw());
            assertTrue(verification.json().getBoolean("valid"), "replica " + r + ": " + verification.raw());
            assertEquals(before.get(r), verification.str("headHash"));
            // Payara checks its truststore when the application first uses TLS and dumps every expired CA in full.
            String log = Files.readString(net.home.resolve("node-" + r).resolve("replica.log"));
            assertFalse(log.contains("has expired"), "replica " + r + " started without expired CAs in its truststore");
        }
        assertEquals(201, net.post(2, "/sessions", null, Json.createObjectBuilder().add("userId", "lake-admin")
                .add("password", lakeAdminPassword).build()).status(), "accounts survive the restart");
        // and the network still takes writes
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        assertEquals(201, net.post(2, "/patients/" + patientId + "/records", doctorToken, note("after restart")).status());
    }

    @Test
    @Order(6)
    void badInputGetsTypedProblemsAndChangesNothing() throws Exception {
        String head = net.status(2).getString("headHash");
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        LocalNetwork.Reply malformed = net.send(2, "POST", "/patients", null, "{\"name\": ");
        assertProblem(malformed, 400, "INVALID_INPUT");
        LocalNetwork.Reply wrongTypes = net.send(2, "POST", "/patients/" + patientId + "/consents",
                net.signIn(2, patientId, patientPassword), "{\"grantee\": [1], \"categories\": \"NOTE\"}");
        assertProblem(wrongTypes, 400, "INVALID_INPUT");
        LocalNetwork.Reply unknownCategory = net.post(2, "/patients/" + patientId + "/records", doctorToken,
                Json.createObjectBuilder().add("category", "GOSSIP").add("title", "t").add("text", "x").build());
        assertProblem(unknownCategory, 400, "INVALID_INPUT");
        LocalNetwork.Reply oversized = net.post(2, "/patients/" + patientId + "/records", doctorToken,
                Json.createObjectBuilder().add("category", "NOTE").add("title", "t").add("text", "x".repeat(2 << 20)).build());
        assertProblem(oversized, 413, "PAYLOAD_TOO_LARGE");
        LocalNetwork.Reply forged = net.send(2, "POST", "/patients/" + patientId + "/records", "not-a-real-token",
                note("forged").toString());
        assertProblem(forged, 401, "UNAUTHENTICATED");
        LocalNetwork.Reply anonymous = net.post(2, "/staff", null, Json.createObjectBuilder().add("userId", "dr-evil")
                .add("name", "Evil").add("role", "ADMIN").build());
        assertProblem(anonymous, 401, "UNAUTHENTICATED");
        LocalNetwork.Reply doctorAsAdmin = net.post(2, "/staff", doctorToken, Json.createObjectBuilder()
                .add("userId", "dr-evil").add("name", "Evil").add("role", "ADMIN").build());
        assertProblem(doctorAsAdmin, 403, "FORBIDDEN");
        LocalNetwork.Reply othersConsent = net.post(2, "/patients/" + patientId + "/consents", doctorToken,
                Json.createObjectBuilder().add("grantee", "dr-lake").add("categories", Json.createArrayBuilder().add("NOTE"))
                        .build());
        assertProblem(othersConsent, 403, "FORBIDDEN");
        assertProblem(net.get(2, "/blocks/99999999"), 404, "NOT_FOUND");
        assertEquals(head, net.status(2).getString("headHash"), "nothing was committed by any of these");
    }

    @Test
    @Order(7)
    void everyWriteAnswersWithAReceiptWhoseMerkleProofLeadsToItsBlock() throws Exception {
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        LocalNetwork.Reply r = net.post(2, "/patients/" + patientId + "/records", doctorToken, note("with a receipt"));
        assertEquals(201, r.status(), r.raw());
        JsonObject committed = r.obj("committed");
        JsonObject receipt = committed.getJsonObject("receipt");
        assertTrue(receipt.getBoolean("verifiedByThisReplica"), r.raw());
        JsonObject header = receipt.getJsonObject("header");
        assertEquals(committed.getJsonNumber("blockHeight").longValue(), header.getJsonNumber("height").longValue());
        assertEquals(committed.getString("blockHash"), header.getString("hash"));
        assertTrue(receipt.getJsonObject("certificate").getJsonArray("commits").size() >= 3, "2f+1 commit signatures");
        // Offline: the entry's leaf and the Merkle proof give the block's entries root.
        JsonObject entry = receipt.getJsonObject("entry");
        var leaf = new org.ehrledger.ejb.domain.model.ledger.LedgerEntry(
                java.util.Base64.getDecoder().decode(entry.getString("transaction")),
                org.ehrledger.consensus.codec.Digest.of(java.util.HexFormat.of().parseHex(entry.getString("requestDigest"))),
                entry.getInt("operationIndex"), entry.getBoolean("accepted"), entry.getString("reason")).leafHash();
        List<org.ehrledger.consensus.codec.Digest> path = receipt.getJsonArray("merkleProof").getValuesAs(jakarta.json.JsonString.class)
                .stream().map(h -> org.ehrledger.consensus.codec.Digest.of(java.util.HexFormat.of().parseHex(h.getString()))).toList();
        var root = org.ehrledger.consensus.codec.MerkleTree.rootFromPath(leaf, receipt.getInt("entryIndex"),
                header.getInt("entryCount"), path);
        assertEquals(header.getString("entriesRoot"), root.hex());
        // The author fetches the receipt again later; nobody else gets it.
        String later = "/receipts/" + header.getJsonNumber("height") + "/" + receipt.getInt("entryIndex");
        assertEquals(200, net.get(2, later, doctorToken).status());
        assertProblem(net.get(2, later, net.signIn(2, patientId, patientPassword)), 403, "FORBIDDEN");
    }

    @Test
    @Order(8)
    void aRetryWithTheSameIdempotencyKeyCreatesOneRecord() throws Exception {
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        String key = java.util.UUID.randomUUID().toString();
        String body = note("sent twice").toString();
        LocalNetwork.Reply first = net.send(2, "POST", "/patients/" + patientId + "/records", doctorToken, body,
                Map.of("Idempotency-Key", key));
        assertEquals(201, first.status(), first.raw());
        LocalNetwork.Reply retry = net.send(2, "POST", "/patients/" + patientId + "/records", doctorToken, body,
                Map.of("Idempotency-Key", key));
        assertEquals(201, retry.status(), retry.raw());
        assertEquals(first.str("recordId"), retry.str("recordId"));
        assertEquals("true", retry.headers().firstValue("Idempotency-Replayed").orElse(""));
        assertProblem(net.send(2, "POST", "/patients/" + patientId + "/records", doctorToken, note("something else").toString(),
                Map.of("Idempotency-Key", key)), 422, "IDEMPOTENCY_KEY_REUSED");
        String patientToken = net.signIn(2, patientId, patientPassword);
        long copies = allPages(2, "/patients/" + patientId + "/records?category=NOTE&limit=3", patientToken).stream()
                .filter(o -> o.getJsonObject("content").getString("text").startsWith("sent twice")).count();
        assertEquals(1, copies, "one record for two requests with the same key");
    }

    @Test
    @Order(9)
    void recordsAndTheAccessLogArePagedWithStableCursorsAndFiltered() throws Exception {
        String patientToken = net.signIn(2, patientId, patientPassword);
        List<JsonObject> all = allPages(2, "/patients/" + patientId + "/records?limit=2", patientToken);
        assertEquals(all.size(), all.stream().map(o -> o.getString("recordId")).distinct().count(), "no item twice");
        assertTrue(all.size() >= 5, "sign-up details and the notes: " + all.size());
        for (JsonObject o : allPages(2, "/patients/" + patientId + "/records?category=DEMOGRAPHICS", patientToken)) {
            assertEquals("DEMOGRAPHICS", o.getString("category"));
        }
        String tomorrow = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1).toString();
        assertEquals(0, net.get(2, "/patients/" + patientId + "/records?from=" + tomorrow, patientToken).json()
                .getJsonArray("items").size());
        assertProblem(net.get(2, "/patients/" + patientId + "/records?from=yesterday", patientToken), 400, "INVALID_INPUT");
        assertProblem(net.get(2, "/patients/" + patientId + "/records?cursor=bm9wZQ", patientToken), 400, "INVALID_INPUT");

        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        assertProblem(net.get(2, "/patients/" + patientId + "/records", doctorToken), 400, "INVALID_INPUT");
        LocalNetwork.Reply read = net.get(2, "/patients/" + patientId + "/records?reason=Follow-up&category=NOTE", doctorToken);
        assertEquals(200, read.status(), read.raw());
        List<JsonObject> log = allPages(2, "/patients/" + patientId + "/access-log?limit=1", patientToken);
        assertTrue(log.stream().anyMatch(e -> e.getString("reader").equals("dr-lake") && e.getString("reason").equals("Follow-up")
                && e.getString("basis").equals("CONSENT")), log.toString());
        assertProblem(net.get(2, "/patients/" + patientId + "/access-log", doctorToken), 403, "FORBIDDEN");
    }

    @Test
    @Order(10)
    void consentRevocationBreakGlassAndTheEmergencyStateThroughTheApi() throws Exception {
        String patientToken = net.signIn(2, patientId, patientPassword);
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        LocalNetwork.Reply consents = net.get(2, "/patients/" + patientId + "/consents", patientToken);
        assertEquals(200, consents.status(), consents.raw());
        String consentId = Json.createReader(new java.io.StringReader(consents.raw())).readArray().getJsonObject(0)
                .getString("consentId");
        assertEquals(200, net.send(2, "DELETE", "/patients/" + patientId + "/consents/" + consentId, patientToken, null).status());
        assertProblem(net.get(2, "/patients/" + patientId + "/records?reason=Check", doctorToken), 422, "REFUSED");

        assertProblem(net.post(2, "/patients/" + patientId + "/break-glass", doctorToken,
                Json.createObjectBuilder().add("reason", "short").add("minutes", 30).build()), 400, "INVALID_INPUT");
        LocalNetwork.Reply glass = net.post(2, "/patients/" + patientId + "/break-glass", doctorToken,
                Json.createObjectBuilder().add("reason", "Collapsed at the clinic, no consent possible").add("minutes", 30).build());
        assertEquals(201, glass.status(), glass.raw());
        assertEquals(200, net.get(2, "/patients/" + patientId + "/records?reason=Emergency+care", doctorToken).status());
        assertTrue(allPages(2, "/patients/" + patientId + "/access-log", patientToken).stream()
                .anyMatch(e -> e.getString("basis").equals("BREAK_GLASS") && e.getString("reason").contains("Collapsed")));

        // The emergency state needs administrators of two organisations.
        JsonObject reason = Json.createObjectBuilder().add("reason", "Regional power outage, triage mode").add("minutes", 60).build();
        LocalNetwork.Reply one = net.post(1, "/emergency/declarations", adminToken(), reason);
        assertEquals(201, one.status(), one.raw());
        assertFalse(one.json().getBoolean("active"));
        assertEquals(1, one.json().getJsonArray("pendingDeclare").size());
        LocalNetwork.Reply two = net.post(2, "/emergency/declarations", net.signIn(2, "lake-admin", lakeAdminPassword), reason);
        assertEquals(201, two.status(), two.raw());
        assertTrue(two.json().getBoolean("active"), two.raw());
        assertProblem(net.post(2, "/emergency/declarations", doctorToken, reason), 403, "FORBIDDEN");
        JsonObject end = Json.createObjectBuilder().add("reason", "Power restored, back to normal").build();
        assertEquals(201, net.post(1, "/emergency/endings", adminToken(), end).status());
        assertFalse(net.post(2, "/emergency/endings", net.signIn(2, "lake-admin", lakeAdminPassword), end).json().getBoolean("active"));
    }

    @Test
    @Order(11)
    void theOpenApiDocumentDescribesTheApi() throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(net.web(1) + "/openapi")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        for (String expected : List.of("EHR Ledger JSON API", "/api/v1/patients/{patientId}/records",
                "/api/v1/patients/{patientId}/prescriptions", "/api/v1/receipts/", "bearer")) {
            assertTrue(r.body().contains(expected), expected + " in " + r.body().substring(0, Math.min(500, r.body().length())));
        }
    }

    @Test
    @Order(12)
    void theBillingServiceListsAndAcknowledgesBillableEventsOverSoapWithAUsernameToken() throws Exception {
        String lakeAdmin = net.signIn(2, "lake-admin", lakeAdminPassword);
        String clerkPassword = net.staff(2, lakeAdmin, "billing-lake", "Lakeside Billing System", "BILLING");
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        LocalNetwork.Reply rx = net.post(2, "/patients/" + patientId + "/prescriptions", doctorToken, Json.createObjectBuilder()
                .add("drug", "Metformin").add("dose", "500 mg").add("route", "oral").add("frequency", "twice a day")
                .add("duration", "90 days").build());
        assertEquals(201, rx.status(), rx.raw());
        String recordId = rx.str("recordId");
        String wsdl = net.web(2) + "/soap/billing?wsdl";
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        org.ehrledger.it.billing.Billing billing = UsernameTokenClient.port(wsdl, "billing-lake", clerkPassword);

        org.ehrledger.it.billing.BillingFault noConsent = org.junit.jupiter.api.Assertions.assertThrows(
                org.ehrledger.it.billing.BillingFault.class, () -> billing.listBillableEvents(patientId, today, today));
        assertEquals("REFUSED", noConsent.getFaultInfo().getCode(), noConsent.getFaultInfo().getMessage());

        String patientToken = net.signIn(2, patientId, patientPassword);
        assertEquals(201, net.post(2, "/patients/" + patientId + "/consents", patientToken, Json.createObjectBuilder()
                .add("grantee", "billing-lake").add("categories", Json.createArrayBuilder().add("PRESCRIPTION")).build()).status());
        var event = billing.listBillableEvents(patientId, today, today).stream()
                .filter(e -> e.getRecordId().equals(recordId)).findFirst().orElseThrow();
        assertEquals("PRESCRIPTION", event.getKind());
        assertEquals("Metformin", event.getCode());
        assertTrue(event.getDescription().contains("500 mg") && event.getDescription().contains("twice a day"));
        assertEquals("dr-lake", event.getPractitioner());
        assertFalse(event.isBilled());

        var ack = billing.acknowledgeBilled(recordId, "INV-2026-0042");
        assertTrue(ack.getBlockHeight() > 0 && ack.getBlockHash().matches("[0-9a-f]{64}"), ack.getBlockHash());
        var billed = billing.listBillableEvents(patientId, today, today).stream()
                .filter(e -> e.getRecordId().equals(recordId)).findFirst().orElseThrow();
        assertTrue(billed.isBilled());
        assertEquals("INV-2026-0042", billed.getInvoice());
        org.ehrledger.it.billing.BillingFault twice = org.junit.jupiter.api.Assertions.assertThrows(
                org.ehrledger.it.billing.BillingFault.class, () -> billing.acknowledgeBilled(recordId, "INV-2026-0043"));
        assertEquals("REFUSED", twice.getFaultInfo().getCode());
        assertTrue(twice.getFaultInfo().getMessage().contains("already billed"));
        assertEquals("INVALID_INPUT", org.junit.jupiter.api.Assertions.assertThrows(org.ehrledger.it.billing.BillingFault.class,
                () -> billing.listBillableEvents(patientId, "last week", today)).getFaultInfo().getCode());

        // Without a token, with a wrong password, or with a practitioner's account: faults, nothing done.
        String head = net.status(2).getString("headHash");
        for (org.ehrledger.it.billing.Billing intruder : List.of(UsernameTokenClient.port(wsdl, null, null),
                UsernameTokenClient.port(wsdl, "billing-lake", "not the password"))) {
            jakarta.xml.ws.soap.SOAPFaultException f = org.junit.jupiter.api.Assertions.assertThrows(
                    jakarta.xml.ws.soap.SOAPFaultException.class, () -> intruder.acknowledgeBilled(recordId, "INV-X"));
            assertEquals("FailedAuthentication", f.getFault().getFaultCodeAsQName().getLocalPart());
        }
        assertEquals("FORBIDDEN", org.junit.jupiter.api.Assertions.assertThrows(org.ehrledger.it.billing.BillingFault.class,
                () -> UsernameTokenClient.port(wsdl, "dr-lake", doctorPassword).listBillableEvents(patientId, today, today))
                .getFaultInfo().getCode());
        // An external entity in the request is refused before any parser resolves it.
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:b=\"urn:ehr-ledger:billing:1\">"
                + "<S:Body><b:AcknowledgeBilled><b:recordId>&x;</b:recordId><b:invoice>I</b:invoice></b:AcknowledgeBilled>"
                + "</S:Body></S:Envelope>";
        var raw = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(net.web(2) + "/soap/billing")).header("Content-Type", "text/xml; charset=utf-8")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(xxe)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(500, raw.statusCode());
        assertTrue(raw.body().contains("document type declarations and entities are not allowed"), raw.body());
        assertFalse(raw.body().contains("root:"), "no file content");
        assertEquals(head, net.status(2).getString("headHash"), "none of these committed anything");
    }

    private static String adminToken() throws Exception {
        return net.signIn(1, "admin", adminPassword);
    }

    /** Follows the cursors of a paged list to its end. */
    private static List<JsonObject> allPages(int replica, String path, String token) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        String cursor = null;
        for (int i = 0; i < 200; i++) {
            String sep = path.contains("?") ? "&" : "?";
            LocalNetwork.Reply r = net.get(replica, path + (cursor == null ? "" : sep + "cursor=" + cursor), token);
            assertEquals(200, r.status(), r.raw());
            out.addAll(r.json().getJsonArray("items").getValuesAs(JsonObject.class));
            if (!r.json().containsKey("nextCursor") || r.json().isNull("nextCursor")) {
                return out;
            }
            cursor = r.str("nextCursor");
        }
        throw new AssertionError("more than 200 pages");
    }

    @Test
    @Order(13)
    @Tag("links") // about the links between replicas, not the database: run on Derby only (pom.xml)
    void aBackupPausedForAMinuteUnderLoadSlowsNobodyAndRejoinsTheSameView() throws Exception {
        int primary = net.status(2).getInt("primary") + 1;
        int paused = java.util.stream.IntStream.rangeClosed(1, 4).filter(r -> r != primary && r != 2).findFirst()
                .orElseThrow();
        String doctorToken = net.signIn(2, "dr-lake", doctorPassword);
        String pid = Files.readString(net.home.resolve("node-" + paused).resolve("replica.pid")).trim();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger phase = new AtomicInteger(); // 0 before, 1 paused, 2 resumed
        List<ConcurrentLinkedQueue<Long>> latencies = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>(),
                new ConcurrentLinkedQueue<>());
        List<AtomicInteger> refused = List.of(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        ConcurrentLinkedQueue<JsonObject> acked = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    int during = phase.get();
                    long start = System.nanoTime();
                    try {
                        LocalNetwork.Reply r = net.post(2, "/patients/" + patientId + "/records", doctorToken,
                                note("pause writer " + id + " note " + i++));
                        if (r.status() == 201) {
                            acked.add(r.obj("committed"));
                            latencies.get(during).add((System.nanoTime() - start) / 1_000_000);
                        } else {
                            refused.get(during).incrementAndGet();
                        }
                    } catch (Exception e) {
                        refused.get(during).incrementAndGet();
                    }
                }
            });
            t.start();
            writers.add(t);
        }
        try {
            Thread.sleep(15_000);
            new ProcessBuilder("kill", "-STOP", pid).inheritIO().start().waitFor();
            phase.set(1);
            Thread.sleep(60_000);
        } finally {
            new ProcessBuilder("kill", "-CONT", pid).inheritIO().start().waitFor();
        }
        phase.set(2);
        Thread.sleep(15_000);
        stop.set(true);
        for (Thread t : writers) {
            t.join(90_000);
        }
        String[] names = {"before the pause", "while replica " + paused + " was paused", "after it resumed"};
        for (int p = 0; p < 3; p++) {
            List<Long> sorted = new ArrayList<>(latencies.get(p));
            sorted.sort(null);
            System.out.println("what a user saw " + names[p] + ": " + sorted.size() + " writes acknowledged, "
                    + refused.get(p).get() + " refused or failed, latency p50 "
                    + (sorted.isEmpty() ? "-" : sorted.get(sorted.size() / 2)) + " ms, p99 "
                    + (sorted.isEmpty() ? "-" : sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100))) + " ms");
        }
        assertTrue(latencies.get(1).size() >= 20, "writes go on while one backup is paused: " + latencies.get(1).size());
        ACKED.addAll(acked);
        awaitSameHead(1, 2, 3, 4);
        assertAckedWritesPresent(1, 2, 3, 4);
        long deadline = System.currentTimeMillis() + 60_000;
        while (net.status(paused).getInt("view") != net.status(2).getInt("view") && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
        }
        assertEquals(net.status(2).getInt("view"), net.status(paused).getInt("view"),
                "the resumed replica is back in the others' view, not in a view change of its own");
        assertFalse(net.status(paused).getBoolean("viewChange"), "the resumed replica takes part in ordering again");
    }

    private static void assertProblem(LocalNetwork.Reply r, int status, String code) {
        assertEquals(status, r.status(), r.raw());
        assertEquals(code, r.str("code"), r.raw());
        assertTrue(r.json().containsKey("detail") && r.json().containsKey("type"), r.raw());
    }

    private static JsonObject note(String text) {
        return Json.createObjectBuilder().add("category", "NOTE").add("title", "Progress note")
                .add("text", text + " " + "x".repeat(900)).build();
    }

    private static JsonObject awaitBlock(int replica, long height) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            LocalNetwork.Reply r = net.get(replica, "/blocks/" + height);
            if (r.status() == 200) {
                return r.json();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("block " + height + " never reached replica " + replica + ": " + r.raw());
            }
            Thread.sleep(200);
        }
    }

    private static void awaitCount(java.util.Collection<?> c, int n, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (c.size() < n) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("only " + c.size() + " writes acknowledged");
            }
            Thread.sleep(100);
        }
    }

    private static void awaitSameHead(int... replicas) throws InterruptedException {
        net.awaitSameHead(180_000, replicas);
    }

    private static void assertAckedWritesPresent(int... replicas) throws Exception {
        net.assertAckedWritesPresent(ACKED, replicas);
    }
}

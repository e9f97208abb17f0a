package org.ehrledger.it;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * Drives a real local network through {@code ci/cluster.sh} (4 Payara Micro processes, JGroups, and the
 * database that {@code -Dit.db} names: {@code derby} by default, or {@code postgresql}) on ports of its own, and
 * talks to its JSON API over HTTP.
 */
final class LocalNetwork implements AutoCloseable {

    final Path root;
    final Path home;
    final int httpBase;
    final int jgroupsBase;
    /** The replicas' database ({@code EHR_DB} of cluster.sh). */
    final String db = System.getProperty("it.db", "derby");
    private final Map<String, String> environment = new java.util.HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** A network on HTTP ports {@code httpBase}.. and JGroups ports {@code jgroupsBase}.. (4 replicas, 2 ports each). */
    LocalNetwork(Path root, Path home, int httpBase, int jgroupsBase) {
        this.root = root;
        this.home = home;
        this.httpBase = httpBase;
        this.jgroupsBase = jgroupsBase;
    }

    /** A network from the failsafe configuration: {@code it.root}, a home under {@code it.home}, fresh. */
    static LocalNetwork fresh(String name, int httpBase, int jgroupsBase) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("it.root", "..")).toAbsolutePath().normalize();
        String db = System.getProperty("it.db", "derby");
        // a network of its own per database: cluster.sh keeps the database a network was created with
        Path home = Path.of(System.getProperty("it.home", "target/it-cluster"))
                .resolveSibling(db.equals("derby") ? name : name + "-" + db).toAbsolutePath();
        LocalNetwork net = new LocalNetwork(root, home, httpBase, jgroupsBase);
        if (Files.exists(home)) {
            net.cluster("down");
            net.delete(p -> false);
        }
        net.awaitPortsFree();
        return net;
    }

    /**
     * Waits (at most 2 minutes) until nothing answers on this network's HTTP ports. A network of an earlier run on
     * the same ports that is still stopping (its test JVM ended before its shutdown hook did) would otherwise answer
     * in place of the new replicas: cluster.sh would find it "running" and its bootstrap refused.
     */
    private void awaitPortsFree() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        for (int port = httpBase; port < httpBase + 4; port++) {
            while (listening(port)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("port " + port + " is in use: another network runs on the ports of "
                            + home.getFileName());
                }
                Thread.sleep(1_000);
            }
        }
    }

    private static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static LocalNetwork shared;
    private static String sharedUpOutput;

    /**
     * One network that several test classes share, to spare the suite a start of four replicas per class
     * (about 90 s on 2 cores): started fresh by the first class that asks, stopped when the test JVM exits.
     * Classes that share it create accounts and patients of their own and assume nothing about the rest of
     * the chain; they get another replica's organisation from {@link #organisation} (admitted once, whichever class
     * asks first) and fail sign-ins on purpose from an address of their own ({@link #sendFrom}). Its first
     * {@code cluster.sh up} output (the first administrator's password) is in {@link #sharedUpOutput()}.
     */
    static synchronized LocalNetwork shared() throws IOException, InterruptedException {
        if (shared == null) {
            // Its ports may overlap no other network's, since it runs beside each of them: HTTP 19681-19684,
            // JGroups 19600-19603, client channels 19700-19703, block sync 19800-19803 (PostgreSQL 19650).
            LocalNetwork net = fresh("it-shared", 19681, 19600);
            sharedUpOutput = net.cluster("up");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    net.close();
                } catch (Exception e) {
                    System.err.println("stopping the shared network: " + e);
                }
            }, "shared-network-down"));
            shared = net;
        }
        return shared;
    }

    /** What the first {@code cluster.sh up} of the {@link #shared()} network printed. */
    static synchronized String sharedUpOutput() {
        return sharedUpOutput;
    }

    /** Sets a cluster.sh environment variable for this network's later commands (e.g. EHR_PG_PORT). */
    void environment(String key, String value) {
        environment.put(key, value);
    }

    /** Runs a cluster.sh command, echoing its output; returns the output. */
    String cluster(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("ci/cluster.sh").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("EHR_CLUSTER_HOME", home.toString());
        env.put("EHR_HTTP_BASE", Integer.toString(httpBase));
        env.put("EHR_JGROUPS_BASE", Integer.toString(jgroupsBase));
        env.put("EHR_SKIP_BUILD", "1");
        // A test network is started once and thrown away: a class archive made at each stop would be wasted work.
        env.put("EHR_CDS", "0");
        env.put("EHR_DB", db);
        // Short checkpoint intervals, so that a replica down for a few seconds must catch up by state transfer.
        env.put("EHR_CHECKPOINT_INTERVAL", "8");
        env.put("EHR_WATERMARK_WINDOW", "16");
        env.putAll(environment);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        System.out.println("$ cluster.sh " + String.join(" ", args) + "\n" + out);
        if (rc != 0) {
            throw new IllegalStateException("cluster.sh " + String.join(" ", args) + " failed (" + rc + "):\n" + out);
        }
        return out;
    }

    /** The administrator password cluster.sh printed at the first start. */
    static String adminPassword(String upOutput) {
        Matcher m = Pattern.compile("password: (\\S+)").matcher(upOutput);
        if (!m.find()) {
            throw new IllegalStateException("cluster.sh up printed no administrator password");
        }
        return m.group(1);
    }

    /** A session of the first administrator, from the output of the first {@code cluster.sh up}. */
    String firstAdminToken(String upOutput) throws IOException, InterruptedException {
        return signIn(1, "admin", adminPassword(upOutput));
    }

    /**
     * Registers a staff member (PRACTITIONER, BILLING or ADMIN) of the administrator's organisation, has them
     * complete their enrolment with the code the administrator was given, and returns the password they chose.
     */
    String staff(int replica, String adminToken, String userId, String name, String role)
            throws IOException, InterruptedException {
        Reply r = post(replica, "/staff", adminToken, Json.createObjectBuilder().add("userId", userId).add("name", name)
                .add("role", role).build());
        if (r.status() != 201) {
            throw new IllegalStateException("registration of " + userId + " at replica " + replica + ": " + r.raw());
        }
        return enrol(replica, userId, r.str("enrolmentCode"));
    }

    /** Completes someone's enrolment with their one-time code under a password of their own, which it returns. */
    String enrol(int replica, String userId, String code) throws IOException, InterruptedException {
        String password = "own password of " + userId + " " + Long.toHexString(System.nanoTime());
        JsonObject body = Json.createObjectBuilder().add("userId", userId).add("code", code).add("password", password).build();
        Reply r = post(replica, "/enrolments", null, body);
        for (int i = 0; i < 20 && r.status() == 403 && r.raw().contains("awaits admission"); i++) {
            Thread.sleep(250); // the admission committed; this replica is storing its block
            r = post(replica, "/enrolments", null, body);
        }
        if (r.status() != 201) {
            throw new IllegalStateException("enrolment of " + userId + " at replica " + replica + ": " + r.raw());
        }
        return password;
    }

    /**
     * The two-person rule: registers a second administrator of the organisation (by the first) and has them
     * confirm a registration the first made, so that account may open break-glass access. Returns the
     * second administrator's session.
     */
    String confirmBySecondAdmin(int replica, String firstAdminToken, String secondAdminId, String userId)
            throws IOException, InterruptedException {
        String token = signIn(replica, secondAdminId,
                staff(replica, firstAdminToken, secondAdminId, "Second admin " + secondAdminId, "ADMIN"));
        Reply r = post(replica, "/staff/" + userId + "/confirmation", token, JsonValue.EMPTY_JSON_OBJECT);
        if (r.status() != 201) {
            throw new IllegalStateException("confirmation of " + userId + " by " + secondAdminId + ": " + r.raw());
        }
        return token;
    }

    /** The JSON API root of a replica (1-4). */
    String base(int replica) {
        return web(replica) + "/api/v1";
    }

    /** The portal root of a replica (1-4). */
    String web(int replica) {
        return "http://127.0.0.1:" + (httpBase + replica - 1);
    }

    /** A response: status and JSON body. */
    record Reply(int status, JsonObject json, String raw, java.net.http.HttpHeaders headers) {
        Reply(int status, JsonObject json, String raw) {
            this(status, json, raw, java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true));
        }

        String str(String field) {
            return json.getString(field);
        }

        JsonObject obj(String field) {
            return json.getJsonObject(field);
        }
    }

    Reply send(int replica, String method, String path, String token, String body) throws IOException, InterruptedException {
        return send(replica, method, path, token, body, Map.of());
    }

    /** A request with extra headers (e.g. Idempotency-Key). */
    Reply send(int replica, String method, String path, String token, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(replica) + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json");
        headers.forEach(b::header);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonObject json = JsonValue.EMPTY_JSON_OBJECT;
        if (r.body() != null && r.body().startsWith("{")) {
            json = Json.createReader(new StringReader(r.body())).readObject();
        }
        return new Reply(r.statusCode(), json, r.body(), r.headers());
    }

    /**
     * A request sent from another loopback address than 127.0.0.1 ({@code source}, e.g. {@code 127.0.0.2}): the
     * replicas count failed sign-ins per client address (20 in 5 minutes per replica, then that address is refused),
     * so a class on the {@link #shared()} network that fails sign-ins on purpose fails them from an address of its own
     * and leaves the count of 127.0.0.1, which every other class signs in from, alone. The replicas listen on every
     * address; java.net.http cannot choose its source address in Java 17, so this is one plain HTTP/1.1 exchange over
     * a socket bound to {@code source}.
     */
    Reply sendFrom(String source, int replica, String method, String path, String token, String body) throws IOException {
        int port = httpBase + replica - 1;
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress(source, 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(120_000);
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(method).append(" /api/v1").append(path).append(" HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1:").append(port).append("\r\nAccept: application/json\r\nConnection: close\r\n");
            if (token != null) {
                head.append("Authorization: Bearer ").append(token).append("\r\n");
            }
            if (body != null) {
                head.append("Content-Type: application/json\r\n");
            }
            head.append("Content-Length: ").append(content.length).append("\r\n\r\n");
            java.io.OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(content);
            out.flush();
            java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            String[] statusLine = line(in).split(" ", 3);
            int status = Integer.parseInt(statusLine[1]);
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.computeIfAbsent(h.substring(0, colon).strip(), k -> new ArrayList<>()).add(h.substring(colon + 1).strip());
            }
            byte[] raw;
            if (headers.getOrDefault("Transfer-Encoding", List.of()).stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
                java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                for (int size; (size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) > 0; line(in)) {
                    all.write(in.readNBytes(size)); // the chunk, then its line end
                }
                for (String trailer = line(in); !trailer.isEmpty(); trailer = line(in)) {
                    System.out.println("trailer of " + path + ": " + trailer);
                }
                raw = all.toByteArray();
            } else if (headers.containsKey("Content-Length")) {
                raw = in.readNBytes(Integer.parseInt(headers.get("Content-Length").get(0)));
            } else {
                raw = in.readAllBytes();
            }
            String text = new String(raw, StandardCharsets.UTF_8);
            JsonObject json = text.startsWith("{") ? Json.createReader(new StringReader(text)).readObject() : JsonValue.EMPTY_JSON_OBJECT;
            return new Reply(status, json, text, java.net.http.HttpHeaders.of(headers, (a, b) -> true));
        }
    }

    /** One line of an HTTP head, without its line end ("" at the end of the head). */
    private static String line(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("the answer ended in its head");
            }
            b.write(c);
        }
        String l = b.toString(StandardCharsets.ISO_8859_1);
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
    }

    /** GET with a bearer token. */
    Reply get(int replica, String path, String token) throws IOException, InterruptedException {
        return send(replica, "GET", path, token, null);
    }

    Reply get(int replica, String path) throws IOException, InterruptedException {
        return send(replica, "GET", path, null, null);
    }

    Reply post(int replica, String path, String token, JsonObject body) throws IOException, InterruptedException {
        return send(replica, "POST", path, token, body.toString());
    }

    /** Signs in and returns the bearer token. */
    String signIn(int replica, String user, String password) throws IOException, InterruptedException {
        Reply r = post(replica, "/sessions", null, Json.createObjectBuilder().add("userId", user)
                .add("password", password).build());
        if (r.status() != 201) {
            throw new IllegalStateException("sign-in of " + user + " at replica " + replica + ": " + r.raw());
        }
        return r.str("token");
    }

    /** The replica's status, or null if it does not answer. */
    JsonObject status(int replica) {
        try {
            Reply r = get(replica, "/cluster");
            return r.status() == 200 ? r.json() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /**
     * Bootstraps the organisation of a replica (the operator's secret file, then the call), has the genesis
     * administrator vote it in, and has the new administrator enrol with their code; returns their password.
     * For a network whose genesis organisation is its only member (one vote admits).
     */
    String admit(int replica, String adminId, String genesisAdminToken) throws IOException, InterruptedException {
        return admit(replica, adminId, genesisAdminToken, List.of());
    }

    /**
     * {@link #admit(int, String, String)}, with the votes of the administrators of the other member organisations
     * ({@code otherMembers}, each at their own replica) after the genesis administrator's, until a majority admitted it.
     */
    private String admit(int replica, String adminId, String genesisAdminToken, java.util.Collection<Administrator> otherMembers)
            throws IOException, InterruptedException {
        Path token = home.resolve("node-" + replica).resolve("bootstrap.token");
        String secret = "it-secret-" + System.nanoTime();
        Files.writeString(token, secret + "\n");
        Reply boot = send(replica, "POST", "/bootstrap", null,
                Json.createObjectBuilder().add("adminId", adminId).add("name", "Admin " + adminId).build().toString(),
                secret);
        if (boot.status() != 201) {
            throw new IllegalStateException("bootstrap of replica " + replica + ": " + boot.raw());
        }
        JsonObject request = Json.createObjectBuilder().add("admissionRequest", boot.str("admissionRequest")).build();
        Reply vote = post(1, "/organisations/admissions", genesisAdminToken, request);
        for (Administrator member : otherMembers) {
            if (vote.status() != 201 || vote.json().getBoolean("admitted")) {
                break;
            }
            vote = post(member.replica(), "/organisations/admissions",
                    signIn(member.replica(), member.userId(), member.password()), request);
        }
        if (vote.status() != 201 || !vote.json().getBoolean("admitted")) {
            throw new IllegalStateException("admission of replica " + replica + "'s organisation: " + vote.raw());
        }
        return enrol(replica, adminId, boot.str("enrolmentCode"));
    }

    /** The first administrator of an organisation: their user id and password (their account lives at its replica). */
    record Administrator(int replica, String userId, String password) {
    }

    /** The organisations {@link #organisation} admitted, by replica. */
    private final Map<Integer, Administrator> organisations = new java.util.TreeMap<>();

    /**
     * The organisation of replica 2, 3 or 4 admitted to this network, once: by the first class that asks, and the
     * same administrator for every later one. A replica bootstraps its organisation only once, so the classes on the
     * {@link #shared()} network that need another organisation ask here (never {@link #admit} there), whichever of
     * them runs first; each admission here is voted by the genesis organisation and those admitted here before.
     */
    synchronized Administrator organisation(int replica, String genesisAdminToken) throws IOException, InterruptedException {
        Administrator known = organisations.get(replica);
        if (known == null) {
            String adminId = "org" + replica + "-admin";
            known = new Administrator(replica, adminId, admit(replica, adminId, genesisAdminToken, List.copyOf(organisations.values())));
            organisations.put(replica, known);
        }
        return known;
    }

    private Reply send(int replica, String method, String path, String token, String body, String bootstrapSecret)
            throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base(replica) + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("X-Bootstrap-Secret", bootstrapSecret)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
        return new Reply(resp.statusCode(), Json.createReader(new StringReader(resp.body())).readObject(), resp.body());
    }

    /**
     * Adds system properties of a replica (1-4) of its own, which ci/cluster.sh passes last at its next start
     * ({@code node-N/local.properties}).
     */
    void localProperties(int replica, String... lines) throws IOException {
        Path dir = home.resolve("node-" + replica);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("local.properties"), String.join("\n", lines) + "\n");
    }

    /** Waits until the replicas (1-4) report the same head hash. */
    void awaitSameHead(long timeoutMillis, int... replicas) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String seen = "";
        while (System.currentTimeMillis() < deadline) {
            List<String> heads = new ArrayList<>();
            StringBuilder b = new StringBuilder();
            for (int r : replicas) {
                JsonObject s = status(r);
                heads.add(s == null ? "down" : s.getString("headHash"));
                b.append(" ").append(r).append(":").append(s == null ? "down" : s.getJsonNumber("height") + "/"
                        + s.getString("state"));
            }
            seen = b.toString();
            if (heads.stream().distinct().count() == 1 && !heads.get(0).equals("down")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("replicas did not reach the same head:" + seen);
    }

    /** Checks that every acknowledged write ({@code committed} of a 201 answer) is in the same block on each replica. */
    void assertAckedWritesPresent(java.util.Collection<JsonObject> acked, int... replicas)
            throws IOException, InterruptedException {
        Map<Long, String> expected = new java.util.HashMap<>();
        for (JsonObject ack : acked) {
            if (ack.isNull("blockHash")) {
                throw new AssertionError("an acknowledged write names its block: " + ack);
            }
            expected.put(ack.getJsonNumber("blockHeight").longValue(), ack.getString("blockHash"));
        }
        for (int r : replicas) {
            for (Map.Entry<Long, String> e : expected.entrySet()) {
                Reply b = get(r, "/blocks/" + e.getKey());
                if (b.status() != 200 || !e.getValue().equals(b.str("hash"))) {
                    throw new AssertionError("block " + e.getKey() + " on replica " + r + " is not the acknowledged "
                            + e.getValue() + ": " + b.raw());
                }
            }
        }
        System.out.println(acked.size() + " acknowledged writes in " + expected.size() + " blocks present on replicas "
                + java.util.Arrays.toString(replicas));
    }

    /**
     * Stops the network and deletes what it wrote but its logs: the databases and each replica's unpacked Payara
     * Micro runtime take several hundred MB per network, and a suite of several networks would otherwise fill a
     * small CI disk (a clean-clone run ran out of disk unpacking Payara Server for the smoke test after it).
     * {@code -Dit.keep=true} keeps everything for a look after the run.
     */
    @Override
    public void close() throws Exception {
        cluster("down");
        if (!Boolean.getBoolean("it.keep")) {
            delete(p -> p.getFileName().toString().endsWith(".log"));
        }
    }

    /** Deletes the files under this network's home that {@code keep} does not keep, and the folders left empty. */
    private void delete(java.util.function.Predicate<Path> keep) throws IOException {
        try (var files = Files.walk(home)) {
            files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !keep.test(p)).forEach(p -> {
                // a folder that still holds a kept log refuses its deletion, and stays
                p.toFile().delete();
            });
        }
    }
}

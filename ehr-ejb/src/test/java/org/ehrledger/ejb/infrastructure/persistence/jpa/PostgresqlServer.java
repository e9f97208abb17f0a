package org.ehrledger.ejb.infrastructure.persistence.jpa;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;

/**
 * A real PostgreSQL server for a test class, the one {@code ci/cluster.sh database} creates for a network
 * (installed from Debian's packages if missing), with its databases {@code ehr1..ehr4}: fresh at each start, on a
 * port of the test's own (the JGroups base + 50).
 */
final class PostgresqlServer {

    private static final Path ROOT = Path.of(System.getProperty("it.root", "..")).toAbsolutePath().normalize();

    private final Path home;
    private final int jgroupsBase;

    /** A server whose files live in {@code target/<name>}, at port {@code jgroupsBase + 50}. */
    PostgresqlServer(String name, int jgroupsBase) {
        this.home = Path.of("target", name).toAbsolutePath();
        this.jgroupsBase = jgroupsBase;
    }

    /** Creates and starts the server, removing what an earlier run left. */
    void start() throws IOException, InterruptedException {
        if (Files.exists(home)) {
            cluster("down");
            try (var files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        cluster("database");
    }

    void stop() throws IOException, InterruptedException {
        cluster("down");
    }

    private void cluster(String command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("ci/cluster.sh").toString(), command)
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("EHR_CLUSTER_HOME", home.toString());
        pb.environment().put("EHR_DB", "postgresql");
        pb.environment().put("EHR_JGROUPS_BASE", Integer.toString(jgroupsBase));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("cluster.sh " + command + " failed:\n" + out);
        }
    }

    /** The JDBC URL of database {@code ehrN}. */
    String url(int n) {
        return "jdbc:postgresql://127.0.0.1:" + (jgroupsBase + 50) + "/ehr" + n;
    }

    /** The file holding the password of role {@code ehrN}. */
    Path passwordFile(int n) {
        return home.resolve("node-" + n).resolve("db.password");
    }

    /** The credentials of role {@code ehrN}, owner of database {@code ehrN}. */
    Properties login(int n) throws IOException {
        Properties login = new Properties();
        login.setProperty("user", "ehr" + n);
        login.setProperty("password", Files.readAllLines(passwordFile(n)).get(0));
        return login;
    }
}

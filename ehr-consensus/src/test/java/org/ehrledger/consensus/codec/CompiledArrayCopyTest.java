package org.ehrledger.consensus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Digests stay exact once the C2 compiler has compiled their decoding. HotSpot 17.0.15's C2 computes wrong values
 * from a copy of an array that {@code Arrays.copyOfRange} has just made (found on 2026-12-04: a replica started
 * without {@code -XX:TieredStopAtLevel=1} reported its sound ledger damaged after about 1,000 blocks, because
 * {@code Wire.Reader.digest()} cut 32 bytes and {@code Digest.of} copied them again, and the digest's hash code was
 * computed from wrong values). Each check runs {@link ArrayCopyProbe} in a JVM of its own with C2 and the replicas'
 * garbage collector, long enough for C2 to compile it.
 */
class CompiledArrayCopyTest {

    /** The option every launch of a replica with C2 carries (docs/OPERATIONS.md, "JVM options"). */
    static final String SHIPPED_OPTION = "-XX:-ReduceBulkZeroing";

    @Test
    void digestsDecodedFromABufferAreExactOnceCompiledEvenWithoutTheJvmOption() throws Exception {
        Run run = probe("decoder", List.of());
        assertEquals(0, run.exit(), run.output());
    }

    @Test
    void withTheShippedJvmOptionACopyOfAFreshCopyIsExactOnceCompiled() throws Exception {
        Run run = probe("copy-of-a-copy", List.of(SHIPPED_OPTION));
        assertEquals(0, run.exit(), run.output());
    }

    @Test
    void aReplicaStartedWithC2AndWithoutTheOptionSaysWhatToAdd() throws Exception {
        String c2 = probe("jvm-check", List.of()).output();
        if (Runtime.version().feature() == 17) {
            assertTrue(c2.contains("start it with -XX:-ReduceBulkZeroing"), c2);
        } else {
            assertTrue(c2.contains("no problem"), c2);
        }
        assertTrue(probe("jvm-check", List.of(SHIPPED_OPTION)).output().contains("no problem"));
        assertTrue(probe("jvm-check", List.of("-XX:TieredStopAtLevel=1")).output().contains("no problem"));
        assertEquals(null, org.ehrledger.consensus.node.JvmCheck.problem(), "the unit tests' own JVM runs with the option");
        assertEquals(null, org.ehrledger.consensus.node.JvmCheck.problem(17, false, true));
        assertEquals(null, org.ehrledger.consensus.node.JvmCheck.problem(21, true, true));
        assertTrue(org.ehrledger.consensus.node.JvmCheck.problem(17, true, true).contains("-XX:-ReduceBulkZeroing"));
    }

    /**
     * Every launch of a replica (local network, end-to-end tests, Payara Server), of the consensus benchmarks and
     * fuzzer, of the in-container tests and of the unit tests passes the option.
     */
    @Test
    void everyLaunchOfAReplicaCarriesTheJvmOption() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        for (String launch : List.of("ci/cluster.sh", "ci/server-smoke.sh", "ci/bench-consensus.sh", "ci/fuzz-consensus.sh",
                "ehr-ejb/pom.xml", "pom.xml")) {
            String text = Files.readString(root.resolve(launch), StandardCharsets.UTF_8);
            assertTrue(text.contains(SHIPPED_OPTION.substring(3)), launch + " does not pass " + SHIPPED_OPTION);
        }
    }

    private record Run(int exit, String output) {
    }

    private static Run probe(String mode, List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseParallelGC"); // as the replicas run (ci/cluster.sh); G1 shows the fault too, less often
        command.add("-Xmx128m");
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ArrayCopyProbe.class.getName());
        command.add(mode);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the probe did not finish in 120 s");
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}

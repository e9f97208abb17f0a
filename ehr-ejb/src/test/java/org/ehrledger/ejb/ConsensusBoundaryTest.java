package org.ehrledger.ejb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The application (ehr-ejb and ehr-war) reaches the consensus library through its narrow, stable packages
 * only: {@code api} (what a host sees: the ordered batches it executes with their request proofs and commit
 * certificates, the settings it chooses, the TLS between its replicas), {@code codec} (the frozen encoding
 * that chain hashes are made of) and {@code node} (the builder that runs a replica from its genesis
 * directory). Any other consensus type named in the application's production sources fails this test.
 */
class ConsensusBoundaryTest {

    private static final Set<String> ALLOWED = Set.of("org.ehrledger.consensus.api", "org.ehrledger.consensus.codec",
            "org.ehrledger.consensus.node");

    private static final Pattern CONSENSUS_TYPE = Pattern.compile(
            "\\b(org\\.ehrledger\\.consensus\\.[a-z]+)\\.([A-Z]\\w*|\\*)");

    /** Consensus types named outside the allowed packages, by file. */
    static Map<String, Set<String>> violations(Path root, List<Path> sourceRoots) {
        Map<String, Set<String>> found = new TreeMap<>();
        for (Path sources : sourceRoots) {
            assertTrue(Files.isDirectory(sources), sources + " is not a source directory");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = CONSENSUS_TYPE.matcher(Files.readString(file));
                    while (m.find()) {
                        if (!ALLOWED.contains(m.group(1))) {
                            found.computeIfAbsent(root.relativize(file).toString().replace('\\', '/'), k -> new TreeSet<>())
                                    .add(m.group(1) + "." + m.group(2));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return found;
    }

    @Test
    void theApplicationNamesNoConsensusTypeOutsideTheApiTheCodecAndTheNodeBuilder() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Map<String, Set<String>> found = violations(root, List.of(root.resolve("ehr-ejb/src/main/java"),
                root.resolve("ehr-war/src/main/java")));
        List<String> problems = new ArrayList<>();
        found.forEach((file, types) -> problems.add(file + " uses " + types + ": reach the consensus library through "
                + ALLOWED));
        assertEquals(List.of(), problems);
    }

    @Test
    void anImportOfAConsensusInternalIsFound(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("src"));
        Files.writeString(sources.resolve("Uses.java"), "package x;\nimport org.ehrledger.consensus.api.OrderedBatch;\n"
                + "import org.ehrledger.consensus.core.Replica;\nimport org.ehrledger.consensus.transport.*;\n"
                + "class Uses { org.ehrledger.consensus.message.Commit c; }\n");
        assertEquals(Map.of("src/Uses.java", Set.of("org.ehrledger.consensus.core.Replica",
                "org.ehrledger.consensus.message.Commit", "org.ehrledger.consensus.transport.*")),
                violations(dir, List.of(sources)));
    }
}

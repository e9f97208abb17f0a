package org.ehrledger.consensus.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.crypto.KeyDirectory;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Genesis configuration and client directory: validation and file round trips. */
class ClusterConfigTest {

    @TempDir
    Path dir;

    private static List<ReplicaInfo> replicas(int n) {
        List<ReplicaInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ReplicaInfo(i, "10.0.0." + (i + 1), 7800 + i, KeyPairs.deterministic(100 + i).publicKeys()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 5, 6, 8, 9, 11})
    void aReplicaCountNotOfTheForm3fPlus1IsRejected(int n) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(replicas(n), 8, 32));
        assertTrue(e.getMessage().contains("3f+1"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"4, 1, 3", "7, 2, 5", "10, 3, 7", "13, 4, 9"})
    void aReplicaCountOf3fPlus1GivesFAndTheQuorum(int n, int f, int quorum) {
        ClusterConfig c = new ClusterConfig(replicas(n), 8, 32);
        assertEquals(n, c.n());
        assertEquals(f, c.f());
        assertEquals(quorum, c.quorum());
    }

    @Test
    void replicaIdsOutOfOrderOrNotStartingAtZeroAreRejected() {
        List<ReplicaInfo> swapped = new ArrayList<>(replicas(4));
        java.util.Collections.swap(swapped, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(swapped, 8, 32));

        List<ReplicaInfo> shifted = new ArrayList<>();
        for (ReplicaInfo r : replicas(4)) {
            shifted.add(new ReplicaInfo(r.id() + 1, r.host(), r.port(), r.keys()));
        }
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(shifted, 8, 32));

        List<ReplicaInfo> duplicated = new ArrayList<>(replicas(4));
        duplicated.set(3, new ReplicaInfo(2, "h", 1, duplicated.get(3).keys()));
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(duplicated, 8, 32));
    }

    @ParameterizedTest
    @CsvSource({"0, 32", "-1, 32", "8, 15", "16, 31"})
    void aCheckpointIntervalOrWatermarkWindowOutOfRangeIsRejected(int k, int l) {
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(replicas(4), k, l));
    }

    @Test
    void theWatermarkWindowMayBeExactlyTwoCheckpointIntervals() {
        ClusterConfig c = new ClusterConfig(replicas(4), 16, 32);
        assertEquals(16, c.checkpointInterval());
        assertEquals(32, c.watermarkWindow());
    }

    @Test
    void thePrimaryRotatesWithTheViewAndReplicaIdsAreExactlyZeroToNMinusOne() {
        ClusterConfig c = new ClusterConfig(replicas(7), 8, 32);
        assertEquals(0, c.primary(0));
        assertEquals(6, c.primary(6));
        assertEquals(0, c.primary(7));
        assertEquals(3, c.primary(7L * 1_000_000_000L + 3));
        assertTrue(c.isReplica(0));
        assertTrue(c.isReplica(6));
        assertFalse(c.isReplica(7));
        assertFalse(c.isReplica(-1));
        assertFalse(c.isReplica(ClusterConfig.FIRST_CLIENT_ID));
        assertEquals(KeyPairs.deterministic(103).publicKeys(), c.replicaKeys(3));
        assertNull(c.replicaKeys(7));
    }

    @Test
    void aGenesisFileRoundTrips() throws IOException {
        List<ReplicaInfo> infos = replicas(7);
        infos.set(2, new ReplicaInfo(2, "replica-2.example.org", 443, infos.get(2).keys()));
        ClusterConfig original = new ClusterConfig(infos, 16, 64);
        Path genesis = dir.resolve("genesis.properties");

        original.store(genesis);
        ClusterConfig loaded = ClusterConfig.load(genesis);

        assertEquals(original.n(), loaded.n());
        assertEquals(original.f(), loaded.f());
        assertEquals(16, loaded.checkpointInterval());
        assertEquals(64, loaded.watermarkWindow());
        assertEquals(original.replicas(), loaded.replicas()); // records: id, host, port and public keys
        assertEquals("replica-2.example.org", loaded.replicas().get(2).host());
        assertEquals(443, loaded.replicas().get(2).port());
    }

    @Test
    void aGenesisFileWithTenOrMoreReplicasRoundTrips() throws IOException {
        ClusterConfig original = new ClusterConfig(replicas(13), 8, 32);
        Path genesis = dir.resolve("genesis.properties");
        original.store(genesis);
        assertEquals(original.replicas(), ClusterConfig.load(genesis).replicas());
    }

    @Test
    void aGenesisFileWithoutProtocolConstantsUsesTheDefaults() throws IOException {
        Path full = dir.resolve("full.properties");
        new ClusterConfig(replicas(4), 8, 32).store(full);
        List<String> lines = new ArrayList<>(Files.readAllLines(full, StandardCharsets.UTF_8));
        lines.removeIf(l -> l.startsWith("checkpointInterval=") || l.startsWith("watermarkWindow="));
        Path partial = dir.resolve("partial.properties");
        Files.write(partial, lines, StandardCharsets.UTF_8);

        ClusterConfig loaded = ClusterConfig.load(partial);
        assertEquals(64, loaded.checkpointInterval());
        assertEquals(256, loaded.watermarkWindow());
    }

    @Test
    void aViewsBatchBytesAreBoundedSoThatAPrimaryCanAlwaysReachTheNextCheckpoint() throws IOException {
        ClusterConfig defaults = new ClusterConfig(replicas(4), 64, 256);
        assertEquals(2 * 64 * (ClusterConfig.DEFAULT_MAX_REQUEST_BYTES + 16), defaults.maxViewBytes(),
                "by default twice a one-request batch for each sequence of an interval");
        assertEquals(ClusterConfig.DEFAULT_MAX_VIEW_BYTES, new ClusterConfig(replicas(4), 8, 32).maxViewBytes());
        IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(replicas(4), 8, 32, 1024, 4096, 8 * 1024));
        assertTrue(tooSmall.getMessage().contains("next checkpoint"), tooSmall.getMessage());

        ClusterConfig bounded = new ClusterConfig(replicas(4), 8, 32, 1024, 4096, 16 * 1024);
        Path genesis = dir.resolve("bounded.properties");
        bounded.store(genesis);
        assertEquals(16 * 1024, ClusterConfig.load(genesis).maxViewBytes());
        Path plain = dir.resolve("plain.properties");
        defaults.store(plain);
        assertFalse(Files.readString(plain).contains("maxViewBytes"), "a default bound is derived, not written");
        assertEquals(defaults.maxViewBytes(), ClusterConfig.load(plain).maxViewBytes());
    }

    @Test
    void aGenesisFileMissingAReplicaEntryIsRejectedNamingTheKey() throws IOException {
        Path full = dir.resolve("full.properties");
        new ClusterConfig(replicas(4), 8, 32).store(full);
        List<String> lines = new ArrayList<>(Files.readAllLines(full, StandardCharsets.UTF_8));
        lines.removeIf(l -> l.startsWith("replica.3.publicKeys="));
        Path broken = dir.resolve("broken.properties");
        Files.write(broken, lines, StandardCharsets.UTF_8);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterConfig.load(broken));
        assertTrue(e.getMessage().contains("replica.3.publicKeys"), e.getMessage());
    }

    @Test
    void aGenesisAddressWithoutAPortIsRejected() throws IOException {
        Path full = dir.resolve("full.properties");
        new ClusterConfig(replicas(4), 8, 32).store(full);
        List<String> lines = new ArrayList<>(Files.readAllLines(full, StandardCharsets.UTF_8));
        lines.replaceAll(l -> l.startsWith("replica.1.address=") ? "replica.1.address=hostonly" : l);
        Path broken = dir.resolve("broken.properties");
        Files.write(broken, lines, StandardCharsets.UTF_8);

        assertThrows(IllegalArgumentException.class, () -> ClusterConfig.load(broken));
    }

    @Test
    void aClientDirectoryRoundTripsThroughItsFile() throws IOException {
        StaticClientDirectory d = new StaticClientDirectory();
        PublicKeys k1 = KeyPairs.deterministic(1024).publicKeys();
        PublicKeys k2 = KeyPairs.deterministic(5000).publicKeys();
        d.admit(1024, k1);
        d.admit(5000, k2);
        assertThrows(IllegalArgumentException.class, () -> d.admit(1024, k2), "an id keeps its key for good");
        Path file = dir.resolve("clients.properties");

        d.store(file);
        StaticClientDirectory loaded = StaticClientDirectory.load(file);

        assertEquals(k1, loaded.client(1024));
        assertEquals(k2, loaded.client(5000));
        assertNull(loaded.client(7000), "a revoked client is not written back");
        assertNull(loaded.client(1025));
        assertNotEquals(k1, k2);
    }

    @Test
    void clientIdsBelowTheFirstClientIdAreRefused() {
        StaticClientDirectory d = new StaticClientDirectory();
        PublicKeys k = KeyPairs.deterministic(1).publicKeys();
        assertThrows(IllegalArgumentException.class, () -> d.admit(0, k));
        assertThrows(IllegalArgumentException.class, () -> d.admit(ClusterConfig.FIRST_CLIENT_ID - 1, k));
        d.admit(ClusterConfig.FIRST_CLIENT_ID, k);
        assertEquals(k, d.client(ClusterConfig.FIRST_CLIENT_ID));
    }

    @Test
    void theKeyDirectoryServesReplicasFromGenesisAndClientsUntilRevoked() {
        ClusterConfig c = new ClusterConfig(replicas(4), 8, 32);
        StaticClientDirectory clients = new StaticClientDirectory();
        PublicKeys ck = KeyPairs.deterministic(1024).publicKeys();
        clients.admit(1024, ck);
        KeyDirectory keys = new KeyDirectory(c, clients);

        assertEquals(c.replicaKeys(2), keys.keys(2));
        assertEquals(ck, keys.keys(1024));
        assertTrue(keys.isKnownClient(1024));
        assertFalse(keys.isKnownClient(2), "a replica is not a client");
        assertFalse(keys.isKnownClient(1025), "an unknown id is not a client");
        assertNull(keys.keys(1025));
    }

    @Test
    void publicKeysRoundTripThroughTheirTextForm() {
        PublicKeys k = KeyPairs.deterministic(42).publicKeys();
        assertEquals(k, PublicKeys.decode(k.encode()));
        assertEquals(k, PublicKeys.decode("  " + k.encode() + "\n"));
        assertThrows(IllegalArgumentException.class, () -> PublicKeys.decode("no-colon"));
    }

    @Test
    void deterministicKeysDependOnlyOnTheSeed() {
        assertEquals(KeyPairs.deterministic(9).publicKeys(), KeyPairs.deterministic(9).publicKeys());
        assertNotEquals(KeyPairs.deterministic(9).publicKeys(), KeyPairs.deterministic(10).publicKeys());
    }
}

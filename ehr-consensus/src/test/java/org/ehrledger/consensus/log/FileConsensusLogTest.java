package org.ehrledger.consensus.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import org.ehrledger.consensus.log.FileConsensusLog;
import org.ehrledger.consensus.testfwk.FaultyDisk;
import org.ehrledger.consensus.testfwk.FaultyDisk.UnsyncedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The file write-ahead log: durability on flush, torn-tail recovery, atomic compaction, and fail-stop on
 * a failed write, fsync or compaction (injected with {@link FaultyDisk}).
 */
class FileConsensusLogTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("replica-0.log");
    }

    private static byte[] rec(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRecords(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "record count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "record " + i);
        }
    }

    private List<byte[]> reopenAndRead() {
        return reopenAndRead(file());
    }

    /** What a replica restarted on the real disk finds in its log. */
    private static List<byte[]> reopenAndRead(Path file) {
        try (FileConsensusLog log = new FileConsensusLog(file, false)) {
            return log.readAll();
        }
    }

    private List<byte[]> writeRecords(int count, long seed) {
        Random rnd = new Random(seed);
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] r = new byte[i % 7 == 0 ? 0 : rnd.nextInt(300)];
            rnd.nextBytes(r);
            records.add(r);
        }
        try (FileConsensusLog log = new FileConsensusLog(file(), true)) {
            assertTrue(log.readAll().isEmpty());
            for (byte[] r : records) {
                log.append(r);
            }
            log.flush();
        }
        return records;
    }

    @Test
    void recordsSurviveCloseAndReopenInOrder() {
        List<byte[]> records = writeRecords(200, 1);
        assertRecords(records, reopenAndRead());
        assertRecords(records, reopenAndRead()); // reading does not consume or alter the file
    }

    @Test
    void appendsAcrossSessionsAccumulateInOrder() {
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(rec("a"));
            log.flush();
        }
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            assertRecords(List.of(rec("a")), log.readAll());
            log.append(rec("b"));
            log.append(rec("c"));
            log.flush();
            assertRecords(List.of(rec("a")), log.readAll()); // readAll reports the log as found at start-up
        }
        assertRecords(List.of(rec("a"), rec("b"), rec("c")), reopenAndRead());
    }

    @Test
    void unflushedAppendsAreNotDurable() throws IOException {
        FileConsensusLog log = new FileConsensusLog(file(), false);
        try {
            log.append(rec("durable"));
            log.flush();
            long flushedSize = Files.size(file());
            log.append(rec("buffered only"));

            assertEquals(flushedSize, Files.size(file()), "nothing reaches the file before flush");
            // What a restart after a crash at this point would find:
            assertRecords(List.of(rec("durable")), reopenAndRead());
        } finally {
            log.close();
        }
    }

    @Test
    void closeFlushesBufferedAppends() {
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(rec("x"));
        }
        assertRecords(List.of(rec("x")), reopenAndRead());
    }

    @Test
    void aRecordLargerThanTheInitialBufferIsKeptWhole() {
        byte[] big = new byte[3 << 20];
        new Random(3).nextBytes(big);
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(rec("before"));
            log.append(big);
            log.append(rec("after"));
            log.flush();
        }
        assertRecords(List.of(rec("before"), big, rec("after")), reopenAndRead());
    }

    @Test
    void garbageAppendedAfterTheLastRecordIsCutOffAtReopen() throws IOException {
        List<byte[]> records = writeRecords(20, 2);
        long validSize = Files.size(file());
        byte[] garbage = new byte[37];
        new Random(4).nextBytes(garbage);
        Files.write(file(), garbage, StandardOpenOption.APPEND);

        assertRecords(records, reopenAndRead());
        assertEquals(validSize, Files.size(file()), "the torn tail is truncated");
    }

    @Test
    void aRecordTruncatedMidwayIsCutOffAndEarlierRecordsAreKept() throws IOException {
        List<byte[]> records = writeRecords(10, 5);
        records.add(rec("the last record, torn by a crash"));
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(records.get(records.size() - 1));
        }
        byte[] whole = Files.readAllBytes(file());
        int full = whole.length;
        // The last record takes 8 header bytes + 32 payload bytes: cut inside its payload and its header.
        for (int cut : new int[] {full - 1, full - 10, full - 32, full - 36, full - 39}) {
            Files.write(file(), java.util.Arrays.copyOf(whole, cut));
            assertRecords(records.subList(0, records.size() - 1), reopenAndRead());
            assertEquals(full - 40, Files.size(file()), "cut back to the end of the last whole record");
        }
        truncate(full - 40);
        assertRecords(records.subList(0, records.size() - 1), reopenAndRead());
    }

    @Test
    void aTornHeaderIsCutOff() throws IOException {
        List<byte[]> records = writeRecords(5, 6);
        long validSize = Files.size(file());
        Files.write(file(), new byte[] {0, 0, 0, 9, 1}, StandardOpenOption.APPEND); // 5 of the 8 header bytes
        assertRecords(records, reopenAndRead());
        assertEquals(validSize, Files.size(file()));
    }

    /**
     * A zero-filled tail (file size reached the disk before the data) never passes the seeded checksum,
     * so it is cut off instead of being read back as empty records.
     */
    @Test
    void aZeroFilledTailIsCutOff() throws IOException {
        List<byte[]> records = writeRecords(3, 12);
        long validSize = Files.size(file());
        Files.write(file(), new byte[16], StandardOpenOption.APPEND);
        assertRecords(records, reopenAndRead());
        assertEquals(validSize, Files.size(file()));
    }

    @Test
    void aLastRecordWithABadChecksumIsCutOff() throws IOException {
        List<byte[]> records = writeRecords(5, 7);
        records.add(rec("checksummed"));
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(records.get(5));
        }
        byte[] all = Files.readAllBytes(file());
        all[all.length - 1] ^= 0x40; // corrupt the payload of the last record
        Files.write(file(), all);
        assertRecords(records.subList(0, 5), reopenAndRead());
    }

    @Test
    void aLengthFieldClaimingMoreThanTheFileHoldsIsCutOff() throws IOException {
        List<byte[]> records = writeRecords(3, 8);
        Files.write(file(), new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 1, 2, 3},
                StandardOpenOption.APPEND);
        assertRecords(records, reopenAndRead());
    }

    @Test
    void appendsAfterATornTailAreReadBackAfterTheSurvivingRecords() throws IOException {
        List<byte[]> records = writeRecords(4, 9);
        Files.write(file(), new byte[] {0, 0, 1, 0, 5, 5, 5, 5, 9, 9}, StandardOpenOption.APPEND);
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(rec("after recovery"));
            log.flush();
        }
        List<byte[]> expected = new ArrayList<>(records);
        expected.add(rec("after recovery"));
        assertRecords(expected, reopenAndRead());
    }

    @Test
    void rewriteReplacesTheContentsAndLaterAppendsFollowIt() {
        try (FileConsensusLog log = new FileConsensusLog(file(), true)) {
            for (int i = 0; i < 50; i++) {
                log.append(rec("old " + i));
            }
            log.flush();
            log.rewrite(List.of(rec("snapshot"), rec("view 3")));
            log.append(rec("new 1"));
            log.flush();
            log.append(rec("new 2"));
            log.flush();
        }
        assertRecords(List.of(rec("snapshot"), rec("view 3"), rec("new 1"), rec("new 2")), reopenAndRead());
        assertFalse(Files.exists(dir.resolve("replica-0.log.compact")), "no compaction file left behind");
    }

    @Test
    void rewriteToNothingEmptiesTheLog() throws IOException {
        writeRecords(10, 10);
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.rewrite(List.of());
        }
        assertEquals(0, Files.size(file()));
        assertTrue(reopenAndRead().isEmpty());
    }

    @Test
    void rewriteDiscardsAppendsThatWereNotYetFlushed() {
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            log.append(rec("flushed"));
            log.flush();
            log.append(rec("pending"));
            log.rewrite(List.of(rec("compacted")));
        }
        assertRecords(List.of(rec("compacted")), reopenAndRead());
    }

    @Test
    void aLeftoverCompactionFileFromACrashDoesNotAffectTheLog() throws IOException {
        List<byte[]> records = writeRecords(5, 11);
        Files.write(dir.resolve("replica-0.log.compact"), rec("half-written compaction garbage"));
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            assertRecords(records, log.readAll());
            log.rewrite(List.of(rec("only")));
        }
        assertRecords(List.of(rec("only")), reopenAndRead());
    }

    @Test
    void theRecordsFoundAtStartUpAreLetGoAtTheFirstCompaction() throws IOException {
        List<byte[]> records = writeRecords(5, 11);
        try (FileConsensusLog log = new FileConsensusLog(file(), false)) {
            assertRecords(records, log.readAll());
            log.rewrite(List.of(rec("checkpoint")));
            assertTrue(log.readAll().isEmpty(), "what recovery read is not held for the life of the replica");
        }
        assertRecords(List.of(rec("checkpoint")), reopenAndRead());
    }

    @Test
    void theLogDirectoryIsCreatedWhenMissing() {
        Path nested = dir.resolve("a/b/c.log");
        try (FileConsensusLog log = new FileConsensusLog(nested, false)) {
            log.append(rec("r"));
        }
        assertTrue(Files.exists(nested));
        try (FileConsensusLog log = new FileConsensusLog(nested, false)) {
            assertRecords(List.of(rec("r")), log.readAll());
        }
    }

    // ---- Fail-stop on injected disk faults -------------------------------------------------------

    private static final List<byte[]> FLUSHED = List.of(rec("first"), rec(""), rec("third record"));
    private static final List<byte[]> FAILED_BATCH = List.of(rec("fourth"), rec(""), rec("sixth record"));

    private static List<byte[]> concat(List<byte[]> a, List<byte[]> b) {
        List<byte[]> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** A log on {@code disk} holding {@link #FLUSHED}, flushed and synced, with {@link #FAILED_BATCH} appended. */
    private static FileConsensusLog logWithAPendingBatch(Path file, FaultyDisk disk) {
        FileConsensusLog log = new FileConsensusLog(file, true, disk.opener());
        FLUSHED.forEach(log::append);
        log.flush();
        FAILED_BATCH.forEach(log::append);
        return log;
    }

    /**
     * After a failure the log refuses every later write with a message saying to restart, and neither
     * that nor closing it touches the disk.
     */
    private static void assertFailedForGood(FileConsensusLog log, FaultyDisk disk, Path file) throws IOException {
        int writes = disk.writes();
        int forces = disk.forces();
        int opens = disk.opens();
        long size = Files.size(file);

        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> log.append(rec("later")));
        assertTrue(refused.getMessage().contains(file.toString()), refused.getMessage());
        assertTrue(refused.getMessage().contains("failed earlier"), refused.getMessage());
        assertTrue(refused.getMessage().contains("restart the replica"), refused.getMessage());
        assertThrows(IllegalStateException.class, log::flush);
        assertThrows(IllegalStateException.class, () -> log.rewrite(List.of(rec("compacted later"))));
        log.close();

        assertEquals(writes, disk.writes(), "no write after the failure");
        assertEquals(forces, disk.forces(), "no fsync after the failure");
        assertEquals(opens, disk.opens(), "no open after the failure");
        assertEquals(size, Files.size(file), "the file is left as the failure left it");
    }

    @Test
    void aTornWriteFailsTheLogForGoodAndARestartFindsOnlyTheRecordsFlushedBefore() throws IOException {
        FaultyDisk disk = new FaultyDisk();
        FileConsensusLog log = logWithAPendingBatch(file(), disk);
        long flushedSize = Files.size(file());
        disk.failWriteAfter(0, 11); // the header and 3 bytes of the first pending record reach the file

        UncheckedIOException failed = assertThrows(UncheckedIOException.class, log::flush);
        assertTrue(failed.getMessage().contains(file().toString()), failed.getMessage());
        assertTrue(failed.getMessage().contains("write"), failed.getMessage());
        assertEquals(flushedSize + 11, Files.size(file()), "the torn record is on disk");
        assertFailedForGood(log, disk, file());

        assertRecords(FLUSHED, reopenAndRead());
        assertEquals(flushedSize, Files.size(file()), "the restart cut the torn record off");
        try (FileConsensusLog restarted = new FileConsensusLog(file(), true)) {
            restarted.append(rec("after the restart"));
            restarted.flush();
        }
        assertRecords(concat(FLUSHED, List.of(rec("after the restart"))), reopenAndRead());
    }

    /** A harness-style sweep: the flush torn after every possible number of bytes. */
    @Test
    void aWriteTornAtAnyByteLeavesTheFlushedRecordsAndOnlyWholeRecordsOfTheFailedFlush() throws IOException {
        int batchBytes = FAILED_BATCH.stream().mapToInt(r -> 8 + r.length).sum();
        for (int cut = 0; cut <= batchBytes; cut++) {
            Path file = Files.createDirectories(dir.resolve("cut-" + cut)).resolve("replica-0.log");
            FaultyDisk disk = new FaultyDisk();
            FileConsensusLog log = logWithAPendingBatch(file, disk);
            disk.failWriteAfter(0, cut);

            assertThrows(UncheckedIOException.class, log::flush, "cut " + cut);
            assertEquals(1, disk.failuresInjected());
            assertFailedForGood(log, disk, file);

            // Whole records of the failed flush may survive (nobody was told they were durable); no torn one may.
            List<byte[]> expected = new ArrayList<>(FLUSHED);
            int end = 0;
            for (byte[] r : FAILED_BATCH) {
                end += 8 + r.length;
                if (end <= cut) {
                    expected.add(r);
                }
            }
            assertRecords(expected, reopenAndRead(file));
        }
    }

    @ParameterizedTest
    @EnumSource(UnsyncedData.class)
    void aFailedFsyncFailsTheLogForGoodWhateverBecameOfTheUnsyncedBytes(UnsyncedData unsynced) throws IOException {
        FaultyDisk disk = new FaultyDisk();
        FileConsensusLog log = logWithAPendingBatch(file(), disk);
        disk.failNextForce(unsynced);

        UncheckedIOException failed = assertThrows(UncheckedIOException.class, log::flush);
        assertTrue(failed.getMessage().contains(file().toString()), failed.getMessage());
        assertTrue(failed.getMessage().contains("fsync"), failed.getMessage());
        // A retried fsync could report success for pages the kernel already dropped, so none is tried.
        assertFailedForGood(log, disk, file());

        assertRecords(unsynced == UnsyncedData.KEPT ? concat(FLUSHED, FAILED_BATCH) : FLUSHED, reopenAndRead());
    }

    /**
     * A harness-style sweep over every write, fsync and open a compaction makes: failing any one of
     * them fails the log, and a restart finds the old log or the compacted one, each whole.
     */
    @Test
    void aFailureAnywhereInACompactionLeavesTheOldOrTheNewLogWhole() throws IOException {
        List<byte[]> old = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            old.add(rec("old " + i));
        }
        List<byte[]> compacted = List.of(rec("snapshot"), rec(""), rec("view 3"));

        // A fault-free run counts the disk operations of the compaction.
        FaultyDisk counting = new FaultyDisk();
        int writes;
        int forces;
        int opens;
        try (FileConsensusLog log = new FileConsensusLog(file(), true, counting.opener())) {
            old.forEach(log::append);
            log.flush();
            int w = counting.writes();
            int f = counting.forces();
            int o = counting.opens();
            log.rewrite(compacted);
            writes = counting.writes() - w;
            forces = counting.forces() - f;
            opens = counting.opens() - o;
        }
        assertRecords(compacted, reopenAndRead());
        assertTrue(writes >= compacted.size() && forces >= 1 && opens >= 1, writes + " " + forces + " " + opens);

        List<Consumer<FaultyDisk>> faults = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            for (int bytes : new int[] {0, 5, Integer.MAX_VALUE}) {
                int k = i;
                faults.add(d -> d.failWriteAfter(k, bytes));
                names.add("write " + i + " torn after " + bytes + " bytes");
            }
        }
        for (int i = 0; i < forces; i++) {
            for (UnsyncedData unsynced : UnsyncedData.values()) {
                int k = i;
                faults.add(d -> d.failForceAfter(k, unsynced));
                names.add("fsync " + i + " failed, unsynced data " + unsynced);
            }
        }
        for (int i = 0; i < opens; i++) {
            int k = i;
            faults.add(d -> d.failOpenAfter(k));
            names.add("open " + i + " failed");
        }

        boolean sawOld = false;
        boolean sawNew = false;
        for (int c = 0; c < faults.size(); c++) {
            String name = names.get(c);
            Path file = Files.createDirectories(dir.resolve("fault-" + c)).resolve("replica-0.log");
            FaultyDisk disk = new FaultyDisk();
            FileConsensusLog log = new FileConsensusLog(file, true, disk.opener());
            old.forEach(log::append);
            log.flush();
            faults.get(c).accept(disk);

            UncheckedIOException failed = assertThrows(UncheckedIOException.class, () -> log.rewrite(compacted), name);
            assertTrue(failed.getMessage().contains(file.toString()), failed.getMessage());
            assertEquals(1, disk.failuresInjected(), name);
            assertFailedForGood(log, disk, file);

            List<byte[]> found = reopenAndRead(file);
            if (found.size() == old.size()) {
                assertRecords(old, found);
                sawOld = true;
            } else {
                assertRecords(compacted, found);
                sawNew = true;
            }
        }
        assertTrue(sawOld, "some fault struck before the rename");
        assertTrue(sawNew, "some fault struck after the rename");
    }

    @Test
    void aFaultyDiskThatIsNotArmedBehavesLikeTheRealOneAndCountsItsOperations() {
        FaultyDisk disk = new FaultyDisk();
        try (FileConsensusLog log = new FileConsensusLog(file(), true, disk.opener())) {
            log.append(rec("a"));
            log.flush();
            log.rewrite(List.of(rec("b")));
            log.append(rec("c"));
            log.flush();
        }
        assertRecords(List.of(rec("b"), rec("c")), reopenAndRead());
        assertTrue(disk.writes() >= 3 && disk.forces() >= 3 && disk.opens() >= 2,
                disk.writes() + " " + disk.forces() + " " + disk.opens());
        assertEquals(0, disk.failuresInjected());
    }

    private void truncate(long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }
}

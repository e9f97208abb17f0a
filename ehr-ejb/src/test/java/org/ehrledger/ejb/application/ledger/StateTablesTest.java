package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;


import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.application.contracts.SmallNetworkHistory;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.StateTable;
import org.ehrledger.ejb.application.contracts.StateWatch;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaLedgerStore;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaStateStore;
import org.ehrledger.ejb.infrastructure.persistence.jpa.StateReadCache;
import org.ehrledger.ejb.testing.Certified;
import org.ehrledger.ejb.testing.DerbyDatabase;
import org.ehrledger.ejb.testing.Chains;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The world state in its own tables of a real embedded Derby database: restart, tampering, commitment, migration. */
class StateTablesTest {

    @TempDir
    Path dir;

    private final Actors a = new Actors();
    private final Certified network = new Certified();
    private DerbyDatabase db;
    private long sequence;
    private long now = Actors.T0;

    @BeforeEach
    void open() {
        db = new DerbyDatabase(dir);
        db.open();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private JpaLedgerStore blocks() {
        return new JpaLedgerStore(db.em(), db::transactional);
    }

    private JpaStateStore tables() {
        return new JpaStateStore(db.em(), db::transactional);
    }

    /**
     * The world state as committed in the database, read as the runtime's queries read it
     * ({@code LedgerRuntime.query}): through a reader of the tables, not the executing ledger's own view.
     */
    private WorldState committed() {
        return new WorldState(JpaStateStore.reader(db.em()));
    }

    private LedgerApplication reopen() {
        close();
        open();
        return new LedgerApplication(Actors.T0, blocks(), tables(), true);
    }

    private OrderedBatch batch(byte[]... operations) {
        now += 1_000;
        return network.batch(++sequence, now, List.of(operations));
    }

    /** The batches of a small network's life: registrations, a consent, records, reads, a revocation, an erasure. */
    private List<OrderedBatch> history() {
        return SmallNetworkHistory.of(a, this::batch);
    }

    private static boolean accepted(List<byte[]> results) {
        return LedgerResult.decode(results.get(0)).accepted();
    }

    private LedgerApplication populated() {
        LedgerApplication ledger = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        for (OrderedBatch b : history()) {
            ledger.execute(b);
        }
        return ledger;
    }

    @Test
    void queriesThroughTheSharedCacheSeeEveryBlocksChangesOnceItCompleted() {
        StateReadCache cache = new StateReadCache();
        LedgerApplication ledger = new LedgerApplication(Actors.T0, blocks(), new JpaStateStore(db.em(), db::transactional, cache), true);
        List<String> people = List.of("admin-1", "admin-1b", "dr-house", "dr-wilson", "pat-alice", "pat-bob", "nobody");
        List<String> patients = List.of("pat-alice", "pat-bob");
        int block = 0;
        for (OrderedBatch b : history()) {
            ledger.execute(b);
            cache.settled(); // what the runtime does when the block's transaction completes
            block++;
            // twice: the first read fills the cache, the second is served from it
            for (int round = 0; round < 2; round++) {
                WorldState cached = new WorldState(JpaStateStore.reader(db.em(), cache));
                WorldState database = new WorldState(JpaStateStore.reader(db.em()));
                for (String id : people) {
                    assertEquals(show(database.user(id)), show(cached.user(id)), id + " after block " + block);
                }
                for (String id : patients) {
                    assertEquals(show(database.consentsOf(id)), show(cached.consentsOf(id)), "consents of " + id + " after block " + block);
                    assertEquals(show(database.breakGlassOf(id)), show(cached.breakGlassOf(id)), "break-glass of " + id + " after block " + block);
                }
                assertEquals(show(database.emergency()), show(cached.emergency()), "emergency state after block " + block);
            }
        }
        assertTrue(block > 5, "the history has blocks that change consents and users");
    }

    /** A value as text, records by their components and byte arrays by their contents (equals compares arrays by identity). */
    private static String show(Object o) {
        if (o instanceof byte[] b) {
            return java.util.HexFormat.of().formatHex(b);
        }
        if (o instanceof List<?> l) {
            return l.stream().map(StateTablesTest::show).toList().toString();
        }
        if (o instanceof Record r) {
            StringBuilder out = new StringBuilder(r.getClass().getSimpleName()).append('[');
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    out.append(c.getName()).append('=').append(show(c.getAccessor().invoke(r))).append(' ');
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return out.append(']').toString();
        }
        return String.valueOf(o);
    }

    @Test
    void twoStoresFedTheSameBatchesWriteTheSameBlocksAndStateDigests() {
        StateStore memory = StateStore.inMemory();
        LedgerApplication inMemory = new LedgerApplication(Actors.T0, LedgerStore.inMemory(), memory, true);
        LedgerApplication inDerby = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        List<Digest> digests = new ArrayList<>();
        for (OrderedBatch b : history()) {
            assertEquals(accepted(inMemory.execute(b)), accepted(inDerby.execute(b)));
            assertEquals(inMemory.head().header(), inDerby.head().header(), "block " + inMemory.head().header().height());
            digests.add(inDerby.head().header().stateDigest());
        }
        assertEquals(digests.size(), digests.stream().distinct().count(), "every block changed the state, and its digest");
        assertEquals(new WorldState(memory).digest(), inDerby.head().header().stateDigest());
        assertEquals(new WorldState(memory).accessLog("pat-alice"), committed().accessLog("pat-alice"));
    }

    @Test
    void aRestartOpensTheStateTablesWithoutReplayingABlock() {
        LedgerApplication before = populated();
        Block head = before.head();
        close();
        open();
        AtomicInteger writes = new AtomicInteger();
        LedgerApplication after = new LedgerApplication(Actors.T0, blocks(), counting(tables(), writes), true);
        assertEquals(0, writes.get(), "no block was executed again: the state came from its tables as it was");
        assertEquals(head.header(), after.head().header());
        assertEquals(head.header().stateDigest(), committed().digest());
        assertEquals(2, committed().accessLog("pat-alice").size());
        assertTrue(committed().consent("c-1").revoked());
        assertTrue(committed().record("r-2").erased());
        assertEquals(List.of("r-1", "r-2"), committed().recordsOf("pat-alice").stream().map(r -> r.id()).toList());
        assertTrue(accepted(after.execute(batch(a.read(a.alice, a.alice, "NOTE", "")))), "and it keeps executing");
        reopen();
        assertEquals(3, committed().accessLog("pat-alice").size());
    }

    @Test
    void aPagesKeyWrapsAndContentsReadTogetherAreWhatReadingThemOneByOneGives() {
        populated();
        List<String> ids = List.of("r-1", "r-2", "no-such-record");
        for (String reader : List.of("pat-alice", "dr-house", "dr-wilson", "nobody")) {
            Map<String, String> oneByOne = new TreeMap<>();
            for (String id : ids) {
                byte[] w = committed().wrappedKey(id, reader);
                if (w != null) {
                    oneByOne.put(id, java.util.HexFormat.of().formatHex(w));
                }
            }
            Map<String, String> together = new TreeMap<>();
            committed().wrappedKeys(ids, reader).forEach((id, w) -> together.put(id, java.util.HexFormat.of().formatHex(w)));
            assertEquals(oneByOne, together, reader + "'s wraps");
        }
        assertEquals(java.util.Set.of("r-1"), committed().wrappedKeys(ids, "pat-alice").keySet(), "r-2 was erased with its wraps");
        assertEquals(java.util.Set.of(), committed().wrappedKeys(ids, "dr-house").keySet(), "the doctor's wraps went with the consent");
        Map<String, byte[]> contents = blocks().contents(ids);
        assertEquals(java.util.Set.of("r-1"), contents.keySet(), "the erased record's content is gone, the unknown one never was");
        assertEquals(java.util.HexFormat.of().formatHex(blocks().content("r-1")), java.util.HexFormat.of().formatHex(contents.get("r-1")));

        // The ledger's own store answers with its changes not yet written, as get does.
        JpaStateStore store = tables();
        StateStore.Row alices = store.get(StateTable.KEY_WRAP, "r-1/pat-alice");
        StateStore.Row added = new StateStore.Row("r-9/pat-alice", new byte[] {1}, new byte[32], "r-9", "pat-alice", null, 1);
        store.put(StateTable.KEY_WRAP, added, null);
        List<String> keys = List.of("r-1/pat-alice", "r-2/pat-alice", "r-9/pat-alice");
        assertEquals(java.util.Set.of("r-1/pat-alice", "r-9/pat-alice"), store.getAll(StateTable.KEY_WRAP, keys).keySet());
        store.remove(StateTable.KEY_WRAP, alices);
        assertEquals(java.util.Set.of("r-9/pat-alice"), store.getAll(StateTable.KEY_WRAP, keys).keySet());
        store.release();
    }

    @Test
    void indexQueriesRepeatedWithinABlockSeeTheBlocksOwnChangesAndTheNextBlockReadsTheDatabaseAgain() {
        populated();
        JpaStateStore store = tables();
        List<String> before = store.find(StateTable.CONSENT, 1, "pat-alice", 0, Integer.MAX_VALUE).stream().map(StateStore.Row::key).toList();
        assertFalse(before.isEmpty(), "alice gave a consent in the history");
        assertEquals(before, store.find(StateTable.CONSENT, 1, "pat-alice", 0, Integer.MAX_VALUE).stream().map(StateStore.Row::key).toList(),
                "asked again in the same block: the same answer");
        StateStore.Row first = store.get(StateTable.CONSENT, before.get(0));
        StateStore.Row added = new StateStore.Row("c-new", new byte[] {1}, new byte[32], "pat-alice", "dr-wilson", null, Long.MAX_VALUE);
        store.put(StateTable.CONSENT, added, null);
        store.remove(StateTable.CONSENT, first);
        List<String> during = new ArrayList<>(before.subList(1, before.size()));
        during.add("c-new");
        assertEquals(during, store.find(StateTable.CONSENT, 1, "pat-alice", 0, Integer.MAX_VALUE).stream().map(StateStore.Row::key).toList(),
                "the block's own changes are seen over what the database answered");
        store.release();

        // Rows written behind the store between blocks are seen by the next block's queries.
        JpaStateStore next = tables();
        next.find(StateTable.CONSENT, 1, "pat-alice", 0, Integer.MAX_VALUE);
        next.put(StateTable.CONSENT, added, null);
        next.endBlock(next.height() + 1, Map.of());
        assertEquals(before.size() + 1, next.find(StateTable.CONSENT, 1, "pat-alice", 0, Integer.MAX_VALUE).size(),
                "after the block ended, its row comes from the database");
        next.release();
    }

    /** The check that runs after a start, here in the test's thread, over the same stores. */
    private IntegrityCheck.Outcome checkAfterStart(LedgerApplication opened, StateWatch watch, Runnable beforeEachRead) {
        return checkAfterStart(opened, watch, beforeEachRead, IntegrityCheck.Pace.unpaced());
    }

    private IntegrityCheck.Outcome checkAfterStart(LedgerApplication opened, StateWatch watch, Runnable beforeEachRead,
                                                   IntegrityCheck.Pace pace) {
        opened.watch(watch);
        return check(watch, beforeEachRead, pace);
    }

    private IntegrityCheck.Outcome check(StateWatch watch, Runnable beforeEachRead, IntegrityCheck.Pace pace) {
        IntegrityCheck.Source source = new IntegrityCheck.Source() {
            @Override
            public <T> T read(java.util.function.Function<IntegrityCheck.Stores, T> work) {
                beforeEachRead.run();
                return work.apply(new IntegrityCheck.Stores(tables(), blocks()));
            }

            @Override
            public <T> T quiescent(java.util.function.Function<IntegrityCheck.Stores, T> work) {
                beforeEachRead.run(); // blocks execute between the reads, never during one
                return work.apply(new IntegrityCheck.Stores(tables(), blocks()));
            }
        };
        return new IntegrityCheck(source, watch, new ChainVerifier(network.genesis), pace).run();
    }

    private LedgerDamage damageFoundAfterRestart() {
        LedgerApplication opened = reopen();
        return checkAfterStart(opened, new StateWatch(), () -> { }).damage();
    }

    @Test
    void anImportIsStagedInItsTablesInvisiblySurvivesARestartAndIsPublishedAsInMemory() {
        LedgerApplication inMemory = new LedgerApplication(Actors.T0);
        LedgerApplication inDerby = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        for (OrderedBatch b : history()) {
            inMemory.execute(b);
            inDerby.execute(b);
        }
        String bundle = "ab".repeat(32);
        Actors.Submission r0 = a.stage("imp-1", a.alice, a.alice, "imp-r0", "NOTE", a.alice);
        Actors.Submission r1 = a.stage("imp-1", a.alice, a.alice, "imp-r1", "CONDITION", a.alice);
        List<OrderedBatch> staging = List.of(batch(a.beginImport(a.alice, a.alice, "imp-1", bundle, 2)), batch(r0.tx(), r0.content()),
                batch(r1.tx(), r1.content()));
        long records = committed().recordCount();
        for (OrderedBatch b : staging) {
            assertTrue(accepted(inMemory.execute(b)));
            assertTrue(accepted(inDerby.execute(b)));
            assertEquals(inMemory.head().header(), inDerby.head().header());
        }
        assertEquals(records, committed().recordCount(), "nothing staged is a record");
        assertNotNull(inDerby.content("imp-r0"), "the staged ciphertext is stored");
        assertEquals(null, damageFoundAfterRestart(), "staged rows and their ciphertext check out after a restart");

        LedgerApplication reopened = reopen();
        OrderedBatch publish = batch(a.publishImport(a.alice, "imp-1"));
        assertTrue(accepted(inMemory.execute(publish)));
        assertTrue(accepted(reopened.execute(publish)));
        assertEquals(inMemory.head().header(), reopened.head().header(), "the same state digest in Derby as in memory");
        assertEquals(records + 2, committed().recordCount());
        assertEquals(0, JpaStateStore.reader(db.em()).count(StateTable.STAGED_RECORD), "nothing stays staged");
        assertEquals(null, damageFoundAfterRestart());
    }

    @Test
    void aStateRowAlteredBehindTheReplicasBackIsNamedByTableAndKeyByTheCheckAfterStart() throws SQLException {
        populated();
        close();
        assertEquals(1, sql("UPDATE STATE_CONSENT SET GRANTEE = 'dr-wilson' WHERE ROW_KEY = 'c-1'"));
        LedgerDamage column = damageFoundAfterRestart();
        assertNotNull(column, "found");
        assertTrue(column.reason().contains("table STATE_CONSENT, key c-1"), column.summary());
        sql("UPDATE STATE_CONSENT SET GRANTEE = 'dr-house' WHERE ROW_KEY = 'c-1'");
        close();
        assertEquals(1, sql("UPDATE STATE_USER SET BODY = (SELECT BODY FROM STATE_USER WHERE ROW_KEY = 'dr-house') "
                + "WHERE ROW_KEY = 'pat-bob'"));
        LedgerDamage body = damageFoundAfterRestart();
        assertTrue(body.reason().contains("table STATE_USER, key pat-bob"), body.summary());
        assertEquals(11, body.height(), "the state after the head block is damaged");
        close();
        assertTrue(sql("DELETE FROM STATE_USER WHERE ROW_KEY = 'pat-bob'") == 1);
        LedgerDamage deleted = damageFoundAfterRestart();
        assertTrue(deleted.reason().contains("table STATE_USER: its rows do not add up"), deleted.summary());
    }

    @Test
    void aContentAlteredBehindTheReplicasBackIsNamedByTheCheckAfterStart() throws SQLException {
        populated();
        close();
        assertEquals(1, sql("UPDATE RECORD_CONTENT SET CIPHERTEXT = CAST(X'00' AS BLOB) WHERE RECORD_ID = 'r-1'"));
        LedgerDamage content = damageFoundAfterRestart();
        assertTrue(content.reason().contains("record r-1"), content.summary());
        assertEquals(-1, content.height(), "a content is not tied to one block");
        close();
        assertTrue(sql("UPDATE LEDGER_ENTRY SET REASON = 'nothing to see' WHERE HEIGHT = 4") >= 1);
        LedgerDamage entry = damageFoundAfterRestart();
        assertEquals(4, entry.height(), "the chain is checked first: " + entry.summary());
    }

    @Test
    void aCheckThatBeginsBeforeANewReplicasGenesisBlockIsStoredFindsNothingToCheckInsteadOfFailing() {
        // A new replica starts its check while the transaction that stores its genesis block may still be open.
        IntegrityCheck.Outcome o = check(new StateWatch(), () -> { }, IntegrityCheck.Pace.unpaced());
        assertEquals(null, o.damage());
        assertEquals(0, o.blocks());
        assertEquals(0, o.rows());
        assertEquals(0, o.contents());
        LedgerApplication created = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        assertEquals(0, created.head().header().height(), "the ledger is then created as usual");
        assertEquals(1, check(new StateWatch(), () -> { }, IntegrityCheck.Pace.unpaced()).blocks());
    }

    @Test
    void aCheckThatFindsNoBlockBesideStateTablesOfALaterBlockNamesTheDamage() throws SQLException {
        populated();
        close();
        assertTrue(sql("DELETE FROM LEDGER_ENTRY") > 0);
        assertTrue(sql("DELETE FROM LEDGER_BLOCK") > 0);
        open();
        LedgerDamage d = check(new StateWatch(), () -> { }, IntegrityCheck.Pace.unpaced()).damage();
        assertNotNull(d, "an emptied chain beside filled state tables is damage, not a new replica");
        assertTrue(d.reason().contains("no block is stored but the world-state tables hold the state after block 11"), d.summary());
    }

    @Test
    void aStartReadsNoBlockNoStateRowAndNoContentAndTheCheckAfterItFindsTheDatabaseSound() {
        populated();
        close();
        open();
        AtomicInteger scans = new AtomicInteger();
        AtomicInteger blockReads = new AtomicInteger();
        LedgerApplication opened = new LedgerApplication(Actors.T0, countingBlocks(blocks(), blockReads),
                counting(tables(), new AtomicInteger(), scans), true);
        assertEquals(0, scans.get(), "no state row scanned at start");
        assertEquals(0, blockReads.get(), "no block read at start but the head");
        assertEquals(11, opened.head().header().height());
        IntegrityCheck.Outcome o = checkAfterStart(opened, new StateWatch(), () -> { });
        assertEquals(null, o.damage());
        assertEquals(12, o.blocks());
        assertTrue(o.rows() > 20 && o.contents() == 1, o.toString());
    }

    @Test
    void aPacedCheckWaitsBetweenItsStepsForTheShareOfTimeItDoesNotWorkAndStillFindsTheDatabaseSound() {
        populated();
        LedgerApplication opened = reopen();
        List<Long> waits = new java.util.ArrayList<>();
        long[] work = {0};
        // Each reading of the clock is 1 ms of work later; the check works a quarter of the time, so waits three times its work.
        IntegrityCheck.Outcome o = checkAfterStart(opened, new StateWatch(), () -> { },
                new IntegrityCheck.Pace(0.25, waits::add, () -> work[0] += 1_000_000, () -> 0.5));
        assertEquals(null, o.damage());
        assertTrue(waits.size() >= StateTable.values().length + 2, "a wait after each step: " + waits.size());
        assertTrue(waits.stream().allMatch(w -> w == 3_000_000L), "three times each step's work: " + waits);

        // On a busy machine (a peer booting beside it) it takes a quarter of its share: 1/16 of the time, so it waits
        // fifteen times its work; and it still finishes, finding the database sound.
        waits.clear();
        double[] load = {0.95};
        o = checkAfterStart(reopen(), new StateWatch(), () -> { },
                new IntegrityCheck.Pace(0.25, waits::add, () -> work[0] += 1_000_000, () -> load[0]));
        assertEquals(null, o.damage());
        assertTrue(waits.size() >= StateTable.values().length + 2, "a wait after each step: " + waits.size());
        assertTrue(waits.stream().allMatch(w -> w == 15_000_000L), "fifteen times each step's work: " + waits);
        assertThrows(IllegalArgumentException.class, () -> new IntegrityCheck.Pace(0, n -> { }));
        assertThrows(IllegalArgumentException.class, () -> new IntegrityCheck.Pace(1.5, n -> { }));
    }

    @Test
    void blocksExecutedWhileTheCheckReadsChangeNothingItFindsButItStillFindsAnAlteredRow() throws SQLException {
        populated();
        close();
        open();
        LedgerApplication opened = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        // Between every two reads of the check, blocks: new records, reads, consents granted and revoked,
        // key wraps deleted by an erasure.
        List<OrderedBatch> during = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Actors.Submission own = a.addRecord(a.alice, a.alice, "w-" + i, "NOTE", a.alice);
            during.add(batch(own.tx(), own.content()));
            during.add(batch(a.grant(a.alice, "cw-" + i, "dr-house", 0, "NOTE")));
            during.add(batch(a.read(a.doctor, a.alice, "NOTE", "during the check " + i)));
            during.add(batch(a.revoke(a.alice, "cw-" + i)));
            during.add(batch(a.erase(a.alice, "w-" + i, "GDPR Art. 17 request " + i)));
        }
        java.util.Iterator<OrderedBatch> next = during.iterator();
        IntegrityCheck.Outcome o = checkAfterStart(opened, new StateWatch(), () -> {
            for (int k = 0; k < 8 && next.hasNext(); k++) {
                assertTrue(accepted(opened.execute(next.next())));
            }
        });
        assertEquals(null, o.damage(), "no false alarm");
        assertFalse(next.hasNext(), "every block ran during the check");
        // Rows inserted, updated and deleted (key wraps, by the erasures) during the check are accounted for as
        // they go: no table is counted again with blocks held back.
        assertEquals(List.of(), o.recounted(), o.toString());
        assertTrue(committed().record("w-19").erased());
        assertEquals(20, committed().accessLog("pat-alice").stream().filter(e -> e.reason().startsWith("during")).count());

        long height = opened.head().header().height();
        // Re-hashed by someone who knows the row format: Lakeside's row holds St Mary's body under a digest
        // that matches it, so no row alone can tell; only the sum of the table.
        byte[] body = tables().get(StateTable.ORGANISATION, "st-mary").body();
        byte[] digest = StateCommitment.rowDigest(StateTable.ORGANISATION.tableName(), "lakeside", body);
        StateStore.Row forged = new StateStore.Row("lakeside", body, digest, null, null, null, 0);
        assertEquals(null, WorldState.checkRow(StateTable.ORGANISATION, forged), "a row that passes alone");
        close();
        assertEquals(1, sql("UPDATE STATE_ORGANISATION SET BODY = CAST(X'" + java.util.HexFormat.of().formatHex(body)
                + "' AS BLOB), ROW_DIGEST = CAST(X'" + java.util.HexFormat.of().formatHex(digest) + "' AS BLOB) "
                + "WHERE ROW_KEY = 'lakeside'"));
        open();
        LedgerApplication again = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        List<OrderedBatch> more = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            more.add(batch(a.read(a.doctor, a.alice, "NOTE", "after tampering " + i)));
        }
        java.util.Iterator<OrderedBatch> after = more.iterator();
        LedgerDamage found = checkAfterStart(again, new StateWatch(), () -> {
            if (after.hasNext()) {
                again.execute(after.next());
            }
        }).damage();
        assertNotNull(found, "a row re-hashed behind the replica's back is found while blocks execute");
        assertTrue(found.reason().contains("table STATE_ORGANISATION: its rows do not add up"), found.summary());
        assertTrue(found.height() > height, found.summary());
    }

    /** The ids of a patient's records, read a page of {@code limit} at a time, newest first, through {@code state}. */
    private static List<String> paged(WorldState state, String patient, java.util.Set<Category> categories, boolean erasedToo,
                                      long from, long to, int limit) {
        List<String> out = new ArrayList<>();
        ClinicalRecord after = null;
        while (true) {
            List<ClinicalRecord> page = state.recordsOf(patient, categories, erasedToo, from, to, after, limit);
            page.forEach(r -> out.add(r.id()));
            if (page.size() < limit) {
                return out;
            }
            after = page.get(page.size() - 1);
        }
    }

    /**
     * A patient's records read a page at a time through IX_RECORD_2 (newest first, by category, erased or not, in a
     * time window, after the previous page) are what the state in memory answers, and what the whole list filtered
     * was; rows stored before schema version 5 get the column from their bodies when the database is migrated, and
     * the tables still verify.
     */
    @Test
    void pagesOfAPatientsRecordsComeThroughTheCategoryIndexAndRowsOfVersion4AreFilled() throws SQLException {
        List<OrderedBatch> batches = new ArrayList<>();
        List<String> cycle = List.of("NOTE", "OBSERVATION", "ALLERGY", "DEMOGRAPHICS");
        for (int i = 0; i < 60; i += 3) {
            List<byte[]> ops = new ArrayList<>();
            for (int k = i; k < i + 3; k++) { // three records a block: equal times, ordered by id
                Actors.Submission own = a.addRecord(a.alice, a.alice, String.format("p-%02d", k), cycle.get(k % 4), a.alice);
                ops.add(own.tx());
                ops.add(own.content());
            }
            batches.add(batch(ops.toArray(byte[][]::new)));
        }
        batches.add(batch(a.erase(a.alice, "p-04", "GDPR Art. 17 request 8")));
        batches.add(batch(a.erase(a.alice, "p-41", "GDPR Art. 17 request 9")));
        StateStore memory = StateStore.inMemory();
        LedgerApplication inMemory = new LedgerApplication(Actors.T0, LedgerStore.inMemory(), memory, true);
        LedgerApplication onDisk = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        for (OrderedBatch b : history()) { // the small network's history, which has refusals of its own
            inMemory.execute(b);
            onDisk.execute(b);
        }
        for (OrderedBatch b : batches) {
            inMemory.execute(b);
            assertTrue(accepted(onDisk.execute(b)));
        }
        WorldState expected = new WorldState(memory);
        List<ClinicalRecord> all = expected.recordsOf("pat-alice");
        long from = all.get(10).createdAt();
        long to = all.get(all.size() - 10).createdAt();
        List<java.util.Set<Category>> sets = List.of(java.util.EnumSet.allOf(Category.class), java.util.EnumSet.of(Category.NOTE),
                java.util.EnumSet.of(Category.OBSERVATION, Category.DEMOGRAPHICS), java.util.EnumSet.noneOf(Category.class));
        Runnable same = () -> {
            WorldState database = committed();
            for (java.util.Set<Category> categories : sets) {
                for (boolean erasedToo : new boolean[] {false, true}) {
                    for (long[] window : new long[][] {{Long.MIN_VALUE, Long.MAX_VALUE}, {from, to}}) {
                        List<String> whole = new ArrayList<>();
                        for (int i = all.size() - 1; i >= 0; i--) {
                            ClinicalRecord r = all.get(i);
                            if (categories.contains(r.category()) && (erasedToo || !r.erased()) && r.createdAt() >= window[0]
                                    && r.createdAt() < window[1]) {
                                whole.add(r.id());
                            }
                        }
                        String what = categories + (erasedToo ? " with erased" : "") + " in " + window[0] + ".." + window[1];
                        assertEquals(whole, paged(expected, "pat-alice", categories, erasedToo, window[0], window[1], 7), what);
                        assertEquals(whole, paged(database, "pat-alice", categories, erasedToo, window[0], window[1], 7), what);
                    }
                }
            }
            for (Category c : Category.values()) {
                assertEquals(expected.hasRecords("pat-alice", c), database.hasRecords("pat-alice", c), c.name());
            }
            assertTrue(database.hasRecords("pat-alice", Category.OBSERVATION));
            assertFalse(database.hasRecords("pat-alice", Category.BILLING));
        };
        same.run();

        assertTrue(sql("UPDATE STATE_RECORD SET INDEX_2 = NULL") > 60);
        assertEquals(1, sql("DELETE FROM DATABASECHANGELOG WHERE ID = 'v005-record-categories'"));
        open();
        assertNull(committed().verifyRows(), "the column filled from the bodies, as the ledger writes it");
        same.run();
    }

    /**
     * A database written by the previous version (state only in blocks, version-1 state digests) is opened
     * by replaying its blocks once into the state tables; its blocks keep their hashes, new blocks commit to
     * the state, the chain still verifies, and the next start replays nothing.
     */
    @Test
    void aLedgerOfThePreviousVersionIsMigratedByReplayingItOnceAndKeepsItsHashes() {
        StateStore todayState = StateStore.inMemory();
        LedgerApplication today = new LedgerApplication(Actors.T0, LedgerStore.inMemory(), todayState, true);
        for (OrderedBatch b : history()) {
            today.execute(b);
        }
        LedgerStore old = blocks();
        List<Block> legacy = legacyChain(Chains.of(today));
        Map<String, byte[]> contents = new TreeMap<>(Map.of("r-1", today.content("r-1")));
        for (Block b : legacy) {
            old.append(b, b.header().height() == 6 ? contents : Map.of(), List.of(), b.header().sequence());
        }
        AtomicInteger writes = new AtomicInteger();
        LedgerApplication migrated = new LedgerApplication(Actors.T0, blocks(), counting(tables(), writes), true);
        assertTrue(writes.get() > 0, "the blocks were replayed into the tables");
        assertEquals(legacy.get(legacy.size() - 1).header(), migrated.head().header(), "the stored blocks are unchanged");
        assertEquals(new WorldState(todayState).digest(), committed().digest(), "the same state as the version that replays");
        assertTrue(accepted(migrated.execute(batch(a.read(a.alice, a.alice, "NOTE", "")))));
        BlockHeader next = migrated.head().header();
        assertEquals(committed().digest(), next.stateDigest(), "new blocks commit to the state");
        assertTrue(new ChainVerifier(network.genesis).verify(Chains.of(migrated)).valid());

        close();
        open();
        AtomicInteger again = new AtomicInteger();
        LedgerApplication restarted = new LedgerApplication(Actors.T0, blocks(), counting(tables(), again), true);
        assertEquals(0, again.get(), "migrated once");
        assertEquals(next, restarted.head().header());
        assertNotNull(restarted.content("r-1"));
        assertFalse(committed().consent("c-1").covers("dr-house", "st-mary",
                org.ehrledger.ejb.domain.model.record.Category.NOTE, now));
    }

    /** The same blocks as the previous version wrote them: version-1 state digests, hash links recomputed. */
    private static List<Block> legacyChain(List<Block> chain) {
        List<Block> out = new ArrayList<>();
        Block previous = null;
        for (Block b : chain) {
            BlockHeader h = b.header();
            if (previous != null) {
                h = new BlockHeader(h.height(), previous.header().hash(), h.entryCount(), h.entriesRoot(),
                        StateCommitment.legacy(previous.header().stateDigest(), h.entriesRoot()), h.timestamp(), h.sequence(),
                        h.batchDigest());
            }
            previous = new Block(h, b.entries(), b.requests(), b.view(), b.certificate());
            out.add(previous);
        }
        return out;
    }

    private int sql(String statement) throws SQLException {
        return db.sql(statement);
    }

    /** A ledger store that counts the blocks read (a list of blocks, or the head). */
    private static LedgerStore countingBlocks(LedgerStore inner, AtomicInteger blocksRead) {
        return new LedgerStore() {
            public List<Block> blocks(long from, long to) {
                List<Block> out = inner.blocks(from, to);
                blocksRead.addAndGet(out.size());
                return out;
            }

            public Block head() {
                return inner.head();
            }

            public byte[] content(String recordId) {
                return inner.content(recordId);
            }

            public void forEachContent(java.util.function.BiConsumer<String, byte[]> visitor) {
                blocksRead.incrementAndGet(); // counted as a read of the whole store
                inner.forEachContent(visitor);
            }

            public long lastExecuted() {
                return inner.lastExecuted();
            }

            public void append(Block block, Map<String, byte[]> newContents, java.util.Collection<String> erased,
                               long lastExecuted) {
                inner.append(block, newContents, erased, lastExecuted);
            }
        };
    }

    /** A state store that counts the blocks whose changes reach it. */
    private static StateStore counting(StateStore inner, AtomicInteger endedBlocks) {
        return counting(inner, endedBlocks, new AtomicInteger());
    }

    /** A state store that counts the blocks whose changes reach it and its scans of whole tables. */
    private static StateStore counting(StateStore inner, AtomicInteger endedBlocks, AtomicInteger scans) {
        return new StateStore() {
            public Row get(StateTable table, String key) {
                return inner.get(table, key);
            }

            public void put(StateTable table, Row row, Row previous) {
                inner.put(table, row, previous);
            }

            public void remove(StateTable table, Row previous) {
                inner.remove(table, previous);
            }

            public List<Row> find(StateTable table, int index, String value, int offset, int limit) {
                return inner.find(table, index, value, offset, limit);
            }

            public List<Row> findNewestFirst(StateTable table, int index, java.util.Collection<String> values, long from,
                                             long to, long afterOrder, String afterKey, int limit) {
                return inner.findNewestFirst(table, index, values, from, to, afterOrder, afterKey, limit);
            }

            public List<Row> scan(StateTable table, String afterKey, int limit) {
                scans.incrementAndGet();
                return inner.scan(table, afterKey, limit);
            }

            public long count(StateTable table) {
                return inner.count(table);
            }

            public long height() {
                return inner.height();
            }

            public Map<StateTable, byte[]> accumulators() {
                return inner.accumulators();
            }

            public void endBlock(long height, Map<StateTable, byte[]> changed) {
                endedBlocks.incrementAndGet();
                inner.endBlock(height, changed);
            }

            public void release() {
                inner.release();
            }
        };
    }
}

package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import org.ehrledger.consensus.crypto.Digest;
import org.ehrledger.ejb.application.ledger.DamagedLedgerException;
import org.ehrledger.ejb.application.ledger.LedgerApplication;
import org.ehrledger.ejb.application.ledger.LedgerResult;
import org.ehrledger.ejb.application.ledger.LedgerStore;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaLedgerStore;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaStateStore;
import org.ehrledger.ejb.testing.Certified;
import org.ehrledger.ejb.testing.DerbyDatabase;
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
        List<OrderedBatch> out = new ArrayList<>();
        out.add(batch(a.genesisOrganisation()));
        out.add(batch(a.secondOrganisation()));
        out.add(batch(a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER)));
        out.add(batch(a.registerPatient(a.alice, "st-mary"), a.registerPatient(a.bob, "lakeside")));
        out.add(batch(a.grant(a.alice, "c-1", "dr-house", 0, "NOTE")));
        Actors.Submission note = a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor);
        out.add(batch(note.tx(), note.content()));
        Actors.Submission own = a.addRecord(a.alice, a.alice, "r-2", "NOTE", a.alice);
        out.add(batch(own.tx(), own.content()));
        out.add(batch(a.read(a.doctor, a.alice, "NOTE", "follow-up"), a.read(a.doctor, a.alice, "NOTE", "second look")));
        out.add(batch(a.read(a.doctor, a.bob, "NOTE", "no consent")));
        out.add(batch(a.revoke(a.alice, "c-1")));
        out.add(batch(a.erase(a.alice, "r-2", "GDPR Art. 17 request 7")));
        return out;
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
    void twoStoresFedTheSameBatchesWriteTheSameBlocksAndStateDigests() {
        LedgerApplication inMemory = new LedgerApplication(Actors.T0);
        LedgerApplication inDerby = new LedgerApplication(Actors.T0, blocks(), tables(), true);
        List<Digest> digests = new ArrayList<>();
        for (OrderedBatch b : history()) {
            assertEquals(accepted(inMemory.execute(b)), accepted(inDerby.execute(b)));
            assertEquals(inMemory.head().header(), inDerby.head().header(), "block " + inMemory.head().header().height());
            digests.add(inDerby.head().header().stateDigest());
        }
        assertEquals(digests.size(), digests.stream().distinct().count(), "every block changed the state, and its digest");
        assertEquals(inMemory.state().digest(), inDerby.head().header().stateDigest());
        assertEquals(inMemory.state().accessLog("pat-alice"), inDerby.state().accessLog("pat-alice"));
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
        assertEquals(head.header().stateDigest(), after.state().digest());
        assertEquals(2, after.state().accessLog("pat-alice").size());
        assertTrue(after.state().consent("c-1").revoked());
        assertTrue(after.state().record("r-2").erased());
        assertEquals(List.of("r-1", "r-2"), after.state().recordsOf("pat-alice").stream().map(r -> r.id()).toList());
        assertTrue(accepted(after.execute(batch(a.read(a.alice, a.alice, "NOTE", "")))), "and it keeps executing");
        assertEquals(3, reopen().state().accessLog("pat-alice").size());
    }

    @Test
    void aStateRowAlteredBehindTheReplicasBackIsNamedByTableAndKeyAtStart() throws SQLException {
        populated();
        close();
        assertEquals(1, sql("UPDATE STATE_CONSENT SET GRANTEE = 'dr-wilson' WHERE ROW_KEY = 'c-1'"));
        DamagedLedgerException column = assertThrows(DamagedLedgerException.class, this::reopen);
        assertTrue(column.getMessage().contains("table STATE_CONSENT, key c-1"), column.getMessage());
        sql("UPDATE STATE_CONSENT SET GRANTEE = 'dr-house' WHERE ROW_KEY = 'c-1'");
        close();
        assertEquals(1, sql("UPDATE STATE_USER SET BODY = (SELECT BODY FROM STATE_USER WHERE ROW_KEY = 'dr-house') "
                + "WHERE ROW_KEY = 'pat-bob'"));
        DamagedLedgerException body = assertThrows(DamagedLedgerException.class, this::reopen);
        assertTrue(body.getMessage().contains("table STATE_USER, key pat-bob"), body.getMessage());
        assertEquals(11, body.damage().height(), "the state after the head block is damaged");
        close();
        assertTrue(sql("DELETE FROM STATE_USER WHERE ROW_KEY = 'pat-bob'") == 1);
        DamagedLedgerException deleted = assertThrows(DamagedLedgerException.class, this::reopen);
        assertTrue(deleted.getMessage().contains("table STATE_USER: its rows do not add up"), deleted.getMessage());
    }

    @Test
    void theStateDigestDiffersWhenOneRowDiffers() {
        WorldState one = new WorldState();
        WorldState other = new WorldState();
        one.logAccess("tx-1", new org.ehrledger.ejb.domain.model.record.AccessEvent(1, "pat-alice", "dr-house", "st-mary",
                org.ehrledger.ejb.domain.model.record.Category.NOTE, org.ehrledger.ejb.domain.model.record.AccessBasis.CONSENT,
                "follow-up"));
        other.logAccess("tx-1", new org.ehrledger.ejb.domain.model.record.AccessEvent(1, "pat-alice", "dr-house", "st-mary",
                org.ehrledger.ejb.domain.model.record.Category.NOTE, org.ehrledger.ejb.domain.model.record.AccessBasis.CONSENT,
                "follow-up!"));
        assertNotEquals(one.digest(), other.digest());
        assertNotEquals(new WorldState().digest(), one.digest());
    }

    /**
     * A database written by the previous version (state only in blocks, version-1 state digests) is opened
     * by replaying its blocks once into the state tables; its blocks keep their hashes, new blocks commit to
     * the state, the chain still verifies, and the next start replays nothing.
     */
    @Test
    void aLedgerOfThePreviousVersionIsMigratedByReplayingItOnceAndKeepsItsHashes() {
        LedgerApplication today = new LedgerApplication(Actors.T0);
        for (OrderedBatch b : history()) {
            today.execute(b);
        }
        LedgerStore old = blocks();
        List<Block> legacy = legacyChain(today.chain());
        Map<String, byte[]> contents = new TreeMap<>(Map.of("r-1", today.content("r-1")));
        for (Block b : legacy) {
            old.append(b, b.header().height() == 6 ? contents : Map.of(), List.of(), b.header().sequence());
        }
        AtomicInteger writes = new AtomicInteger();
        LedgerApplication migrated = new LedgerApplication(Actors.T0, blocks(), counting(tables(), writes), true);
        assertTrue(writes.get() > 0, "the blocks were replayed into the tables");
        assertEquals(legacy.get(legacy.size() - 1).header(), migrated.head().header(), "the stored blocks are unchanged");
        assertEquals(today.state().digest(), migrated.state().digest(), "the same state as the version that replays");
        assertTrue(accepted(migrated.execute(batch(a.read(a.alice, a.alice, "NOTE", "")))));
        BlockHeader next = migrated.head().header();
        assertEquals(migrated.state().digest(), next.stateDigest(), "new blocks commit to the state");
        assertTrue(new ChainVerifier(network.genesis).verify(migrated.chain()).valid());

        close();
        open();
        AtomicInteger again = new AtomicInteger();
        LedgerApplication restarted = new LedgerApplication(Actors.T0, blocks(), counting(tables(), again), true);
        assertEquals(0, again.get(), "migrated once");
        assertEquals(next, restarted.head().header());
        assertNotNull(restarted.content("r-1"));
        assertFalse(restarted.state().consent("c-1").covers("dr-house", "st-mary",
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

    /** A state store that counts the blocks whose changes reach it. */
    private static StateStore counting(StateStore inner, AtomicInteger endedBlocks) {
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

            public List<Row> scan(StateTable table, String afterKey, int limit) {
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

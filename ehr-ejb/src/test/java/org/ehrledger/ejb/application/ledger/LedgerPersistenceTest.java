package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import jakarta.persistence.EntityManager;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.persistence.jpa.JpaLedgerStore;
import org.ehrledger.ejb.testing.Certified;
import org.ehrledger.ejb.testing.DerbyDatabase;
import org.ehrledger.ejb.testing.Chains;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger in a real embedded Derby database through EclipseLink, outside any container. */
class LedgerPersistenceTest {

    @TempDir
    Path dir;

    private final Actors a = new Actors();
    private final Certified network = new Certified();
    private final ClusterConfig genesis = network.genesis;
    private DerbyDatabase db;
    private EntityManager em;
    private long sequence;
    private long now = Actors.T0;

    @BeforeEach
    void database() {
        db = new DerbyDatabase(dir);
        open();
    }

    private void open() {
        db.open();
        em = db.em();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private JpaLedgerStore store() {
        return new JpaLedgerStore(em, db::transactional);
    }

    /** One committed batch of one request carrying the given operations, with a real certificate. */
    private OrderedBatch batch(byte[]... operations) {
        now += 1_000;
        return network.batch(++sequence, now, List.of(operations));
    }

    private LedgerResult execute(LedgerApplication ledger, byte[]... operations) {
        return LedgerResult.decode(ledger.execute(batch(operations)).get(0));
    }

    private LedgerApplication populated() {
        LedgerApplication ledger = new LedgerApplication(Actors.T0, store());
        assertTrue(execute(ledger, a.genesisOrganisation()).accepted());
        assertTrue(execute(ledger, a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER)).accepted());
        assertTrue(execute(ledger, a.registerPatient(a.alice, "st-mary")).accepted());
        assertFalse(execute(ledger, a.read(a.doctor, a.alice, "NOTE", "no consent")).accepted());
        assertTrue(execute(ledger, a.grant(a.alice, "c-1", "dr-house", 0, "NOTE")).accepted());
        Actors.Submission note = a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor);
        // Without its content first (refused, not remembered), then properly: restarts must replay both.
        assertFalse(execute(ledger, note.tx()).accepted());
        assertTrue(execute(ledger, note.tx(), note.content()).accepted());
        assertTrue(execute(ledger, a.read(a.doctor, a.alice, "NOTE", "follow-up")).accepted());
        return ledger;
    }

    @Test
    void blocksRoundTripThroughJpaWithIdenticalHashesAndTheStateIsRebuiltOnRestart() {
        LedgerApplication ledger = populated();
        List<Block> before = Chains.of(ledger);
        close();
        open();
        StateStore rebuilt = StateStore.inMemory();
        LedgerApplication reopened = new LedgerApplication(Actors.T0, store(), rebuilt, true);
        List<Block> after = Chains.of(reopened);
        assertEquals(before.size(), after.size());
        for (int h = 0; h < before.size(); h++) {
            assertEquals(before.get(h).header().hash(), after.get(h).header().hash(), "block " + h);
        }
        assertEquals(ledger.lastExecuted(), reopened.lastExecuted());
        assertNotNull(new WorldState(rebuilt).consent("c-1"), "world state rebuilt from the stored blocks");
        assertEquals(1, new WorldState(rebuilt).accessLog("pat-alice").size());
        assertNotNull(reopened.content("r-1"), "off-chain ciphertext persisted");
        ChainVerifier.Report report = new ChainVerifier(genesis).verify(after);
        assertTrue(report.valid(), report.toString());
        assertTrue(execute(reopened, a.revoke(a.alice, "c-1")).accepted(), "and it keeps executing");
    }

    @Test
    void replayingAnExecutedBatchChangesNothing() {
        LedgerApplication ledger = populated();
        JpaLedgerStore store = store();
        Block last = Chains.of(ledger).get(Chains.of(ledger).size() - 1);
        store.append(last, Map.of(), List.of(), ledger.lastExecuted());
        assertEquals(Chains.of(ledger).size(), store.blocks(0, Long.MAX_VALUE).size(), "appending a stored block again is a no-op");
        Block other = Chains.of(ledger).get(2);
        Block clash = new Block(new org.ehrledger.ejb.domain.model.ledger.BlockHeader(last.header().height(),
                other.header().previousHash(), other.header().entryCount(), other.header().entriesRoot(),
                other.header().stateDigest(), other.header().timestamp(), other.header().sequence(),
                other.header().batchDigest()), other.entries(), other.requests(), 0, other.certificate());
        assertThrows(IllegalStateException.class, () -> store.append(clash, Map.of(), List.of(), 99),
                "a different block at a stored height is a divergence, never silently accepted");
        assertEquals(ledger.lastExecuted(), store.lastExecuted(), "the failed append was rolled back");
    }

    @Test
    void aCrashInTheMiddleOfABlockLeavesThePreviousBlock() {
        LedgerApplication ledger = populated();
        int height = Chains.of(ledger).size();
        JpaLedgerStore failing = new JpaLedgerStore(em, work -> {
            em.getTransaction().begin();
            work.run();
            em.getTransaction().rollback(); // the process dies before commit
        });
        LedgerApplication crashed = new LedgerApplication(Actors.T0, failing);
        crashed.execute(batch(a.revoke(a.alice, "c-1")));
        close();
        open();
        StateStore rebuilt = StateStore.inMemory();
        LedgerApplication recovered = new LedgerApplication(Actors.T0, store(), rebuilt, true);
        assertEquals(height, Chains.of(recovered).size(), "no partial block");
        assertFalse(new WorldState(rebuilt).consent("c-1").revoked());
    }

    @Test
    void chainVerificationNamesRowsEditedDirectlyInDerby() throws SQLException {
        populated();
        close();
        assertEquals(1, sql("UPDATE LEDGER_ENTRY SET ACCEPTED = 1 WHERE HEIGHT = 4"));
        assertBrokenAt(4, "Merkle root");
        sql("UPDATE LEDGER_ENTRY SET ACCEPTED = 0 WHERE HEIGHT = 4");
        assertEquals(1, sql("DELETE FROM LEDGER_ENTRY WHERE HEIGHT = 7"));
        assertBrokenAt(7, "deleted");
        sql("DELETE FROM LEDGER_ENTRY WHERE HEIGHT = 2");
        sql("DELETE FROM LEDGER_BLOCK WHERE HEIGHT = 2");
        assertBrokenAt(2, "missing or out of order");
    }

    private int sql(String statement) throws SQLException {
        return db.sql(statement);
    }

    private void assertBrokenAt(long height, String words) {
        open();
        JpaLedgerStore store = store();
        ChainVerifier.Report r = new ChainVerifier(genesis).verify(store.blocks(0, Long.MAX_VALUE));
        assertFalse(r.valid());
        assertEquals(height, r.firstBadHeight(), r.toString());
        assertTrue(r.problem().contains(words), r.problem());
        close();
    }

    @Test
    void aReplicaRefusesToStartOnADatabaseEditedBehindItsBack() throws SQLException {
        populated();
        close();
        assertEquals(1, sql("UPDATE RECORD_CONTENT SET CIPHERTEXT = CAST(X'00' AS BLOB) WHERE RECORD_ID = 'r-1'"));
        open();
        DamagedLedgerException content = assertThrows(DamagedLedgerException.class,
                () -> new LedgerApplication(Actors.T0, store()));
        assertTrue(content.getMessage().contains("record r-1"), content.getMessage());
        assertEquals(-1, content.damage().height(), "a content is not tied to one block");
        close();
        assertEquals(1, sql("UPDATE LEDGER_ENTRY SET REASON = 'nothing to see' WHERE HEIGHT = 4"));
        open();
        DamagedLedgerException entry = assertThrows(DamagedLedgerException.class,
                () -> new LedgerApplication(Actors.T0, store()));
        assertEquals(4, entry.damage().height(), entry.getMessage());
        assertTrue(entry.getMessage().contains("height 4"), entry.getMessage());
    }

    @Test
    void erasureDeletesTheCiphertextFromTheDatabaseButKeepsTheHash() {
        LedgerApplication ledger = populated();
        assertTrue(execute(ledger, a.erase(a.alice, "r-1", "GDPR Art. 17 request 42")).accepted());
        close();
        open();
        StateStore rebuilt = StateStore.inMemory();
        LedgerApplication reopened = new LedgerApplication(Actors.T0, store(), rebuilt, true);
        assertNull(reopened.content("r-1"), "ciphertext destroyed");
        assertTrue(new WorldState(rebuilt).record("r-1").erased());
        assertTrue(new ChainVerifier(genesis).verify(Chains.of(reopened)).valid(), "the chain still verifies");
    }
}

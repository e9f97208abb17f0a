package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;

import org.ehrledger.consensus.testfwk.SimCluster;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.ledger.Receipt;
import org.ehrledger.ejb.domain.model.ledger.ReceiptVerifier;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.testing.Chains;
import org.junit.jupiter.api.Test;

/**
 * The ledger on four PBFT replicas over the simulated network: every replica runs the contracts, builds
 * identical blocks with real commit certificates, and a receipt from any replica verifies offline.
 */
class LedgerOverConsensusTest {

    private final Actors a = new Actors();

    /**
     * A replica's ledger in memory, its state store noted under its id (a restart replaces it), so that a test
     * reads the world state over the store as the runtime's queries do.
     */
    private static LedgerApplication inMemory(Map<Integer, StateStore> states, int replica) {
        StateStore store = StateStore.inMemory();
        states.put(replica, store);
        return new LedgerApplication(Actors.T0, LedgerStore.inMemory(), store, true);
    }

    private LedgerResult submit(SimCluster cluster, byte[] tx) {
        CompletableFuture<byte[]> f = cluster.submit(0, tx);
        assertTrue(cluster.awaitAll(List.of(f), 60_000), "committed");
        return LedgerResult.decode(f.join());
    }

    /** A record transaction and its ciphertext go out together, in one request, in this order. */
    private LedgerResult submit(SimCluster cluster, Actors.Submission s) {
        CompletableFuture<List<byte[]>> f = cluster.client(0).submitGroup(List.of(s.tx(), s.content()));
        assertTrue(cluster.network().runUntil(f::isDone, 60_000), "committed");
        List<byte[]> results = f.join();
        assertEquals(2, results.size());
        return LedgerResult.decode(results.get(0));
    }

    @Test
    void fourReplicasAgreeOnTheLedgerAndItsReceiptsVerifyOffline() {
        Map<Integer, StateStore> states = new ConcurrentHashMap<>();
        SimCluster cluster = new SimCluster(4, 1, 7, SimCluster.simulationSettings(), 32, null,
                SimCluster.unbundledClients(), i -> inMemory(states, i));
        cluster.network().advanceTo(Actors.T0);
        cluster.network().delays(1, 10).loss(0.02);

        assertTrue(submit(cluster, a.genesisOrganisation()).accepted());
        assertTrue(submit(cluster, a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER)).accepted());
        assertTrue(submit(cluster, a.registerPatient(a.alice, "st-mary")).accepted());

        LedgerResult refused = submit(cluster, a.read(a.doctor, a.alice, "NOTE", "no consent yet"));
        assertFalse(refused.accepted());
        assertTrue(refused.reason().contains("no consent"), refused.reason());

        assertTrue(submit(cluster, a.grant(a.alice, "c-1", "dr-house", 0, "NOTE")).accepted());
        Actors.Submission noteTx = a.addRecord(a.doctor, a.alice, "r-1", "NOTE", a.alice, a.doctor);
        LedgerResult note = submit(cluster, noteTx);
        assertTrue(note.accepted(), note.reason());
        assertTrue(cluster.network().runUntil(() -> cluster.converged(0, 1, 2, 3), 30_000));
        for (int r = 0; r < 4; r++) {
            assertTrue(java.util.Arrays.equals(noteTx.content(),
                    ((LedgerApplication) cluster.application(r)).content("r-1")), "ciphertext stored off-chain on replica " + r);
        }
        // Without its content, or with other content, a record is refused and nothing is stored.
        assertFalse(submit(cluster, a.addRecord(a.doctor, a.alice, "r-2", "NOTE", a.alice, a.doctor).tx()).accepted());
        Actors.Submission other = a.addRecord(a.doctor, a.alice, "r-3", "NOTE", a.alice, a.doctor);
        LedgerResult mismatch = submit(cluster, new Actors.Submission(other.tx(), "forged".getBytes()));
        assertFalse(mismatch.accepted());
        assertTrue(mismatch.reason().contains("does not match"), mismatch.reason());
        assertTrue(submit(cluster, a.read(a.doctor, a.alice, "NOTE", "follow-up")).accepted());
        assertTrue(submit(cluster, a.revoke(a.alice, "c-1")).accepted());
        assertFalse(submit(cluster, a.read(a.doctor, a.alice, "NOTE", "after revoke")).accepted());
        for (byte[] confirmation : a.secondAdminConfirmsDoctor()) {
            assertTrue(submit(cluster, confirmation).accepted());
        }
        assertTrue(submit(cluster, a.breakGlass(a.doctor, a.alice, "patient unconscious in ER", 30)).accepted());
        assertTrue(submit(cluster, a.read(a.doctor, a.alice, "NOTE", "emergency")).accepted());

        assertTrue(cluster.network().runUntil(() -> cluster.converged(0, 1, 2, 3), 30_000), "replicas converge");
        ChainVerifier verifier = new ChainVerifier(cluster.config());
        for (int r = 0; r < 4; r++) {
            LedgerApplication ledger = (LedgerApplication) cluster.application(r);
            ChainVerifier.Report report = verifier.verify(Chains.of(ledger));
            assertTrue(report.valid(), "replica " + r + ": " + report);
            assertEquals(16, report.blocks(), "genesis + one block per submission");
            var log = new WorldState(states.get(r)).accessLog("pat-alice");
            assertEquals(List.of(AccessBasis.CONSENT, AccessBasis.BREAK_GLASS),
                    log.stream().map(e -> e.basis()).toList(), "the patient sees both reads and why");
        }

        // The refusal itself is on chain, with its reason.
        LedgerApplication replica2 = (LedgerApplication) cluster.application(2);
        Block refusalBlock = Chains.of(replica2).get((int) refused.height());
        LedgerEntry refusal = refusalBlock.entries().get(refused.index());
        assertFalse(refusal.accepted());
        assertEquals(refused.reason(), refusal.reason());

        // A receipt served by replica 2 verifies with the genesis file alone.
        Block b = Chains.of(replica2).get((int) note.height());
        LedgerEntry e = b.entries().get(note.index());
        Receipt receipt = b.receipt(note.index());
        ReceiptVerifier.Result result = new ReceiptVerifier(cluster.config()).verify(receipt, e.transaction());
        assertTrue(result.valid(), result.problem());
        // The ordered content hash is the ciphertext's: a patient holding the ciphertext checks it too.
        assertEquals(receipt.request().operationDigests().get(e.operationIndex() + 1),
                org.ehrledger.consensus.codec.Digest.sha256(replica2.content("r-1")));
    }

    @Test
    void aReplicaThatMissedCheckpointsRebuildsTheLedgerFromACertifiedSnapshot() {
        SimCluster[] holder = new SimCluster[1];
        Map<Integer, StateStore> states = new ConcurrentHashMap<>();
        SimCluster cluster = new SimCluster(4, 1, 11, SimCluster.simulationSettings(), 32, null,
                SimCluster.unbundledClients(), i -> {
                    LedgerApplication ledger = inMemory(states, i);
                    // missed blocks come from a peer (replica 0 here; any peer's blocks are checked alike)
                    ledger.peers((from, max) -> ((LedgerApplication) holder[0].application(0)).serve(from, max));
                    return ledger;
                });
        holder[0] = cluster;
        cluster.network().advanceTo(Actors.T0);
        assertTrue(submit(cluster, a.genesisOrganisation()).accepted());
        assertTrue(submit(cluster, a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER)).accepted());
        assertTrue(submit(cluster, a.registerPatient(a.alice, "st-mary")).accepted());
        cluster.crash(3);
        for (int i = 0; i < 20; i++) {
            submit(cluster, a.read(a.alice, a.alice, "NOTE", ""));
        }
        assertTrue(cluster.replica(0).status().stableCheckpoint() >= 16, "checkpoints moved on without replica 3");
        cluster.restart(3); // empty ledger: must come back through a certified snapshot
        assertTrue(submit(cluster, a.grant(a.alice, "c-1", "dr-house", 0, "NOTE")).accepted());
        assertTrue(cluster.network().runUntil(() -> cluster.converged(0, 1, 2, 3), 60_000), "replica 3 caught up");

        LedgerApplication restored = (LedgerApplication) cluster.application(3);
        WorldState state = new WorldState(states.get(3));
        assertEquals(20, state.accessLog("pat-alice").size(), "world state rebuilt by replaying blocks");
        assertTrue(state.consent("c-1") != null, "and it keeps executing afterwards");
        ChainVerifier.Report report = new ChainVerifier(cluster.config()).verify(Chains.of(restored));
        // The fetched blocks came with the peer's commit certificates: the whole chain verifies.
        assertTrue(report.valid(), report.toString());
        assertEquals(((LedgerApplication) cluster.application(0)).head().header().hash(), restored.head().header().hash());
        assertTrue(new ChainVerifier(cluster.config()).verify(Chains.of((LedgerApplication) cluster.application(0))).valid());
    }
}

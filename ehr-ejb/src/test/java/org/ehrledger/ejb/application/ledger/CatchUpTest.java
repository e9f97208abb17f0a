package org.ehrledger.ejb.application.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.ehrledger.consensus.testfwk.SimCluster;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.application.contracts.StateStore;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.testing.Chains;
import org.junit.jupiter.api.Test;

/**
 * A replica that fell behind catches up to a certified snapshot a few blocks per transaction: the chain it
 * fetches is proven against the certified head hash before the first block is applied, so a peer can neither
 * make it store a block of another chain nor swap a block between the proof and the application.
 */
class CatchUpTest {

    private final Actors a = new Actors();

    /**
     * A network of four replicas whose chain holds a patient and 20 audited reads of her record; in {@code
     * another} history she gave a consent first (its chain differs from the fourth block on).
     */
    private SimCluster network(boolean another) {
        SimCluster cluster = new SimCluster(4, 1, 21, SimCluster.simulationSettings(), 32, null,
                SimCluster.unbundledClients(),
                i -> new LedgerApplication(Actors.T0, LedgerStore.inMemory(), StateStore.inMemory(), true));
        cluster.network().advanceTo(Actors.T0);
        submit(cluster, a.genesisOrganisation());
        submit(cluster, a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER));
        submit(cluster, a.registerPatient(a.alice, "st-mary"));
        if (another) {
            submit(cluster, a.grant(a.alice, "c-1", "dr-house", 0, "NOTE"));
        }
        for (int i = 0; i < 20; i++) {
            submit(cluster, a.read(a.alice, a.alice, "NOTE", ""));
        }
        return cluster;
    }

    private static void submit(SimCluster cluster, byte[] tx) {
        CompletableFuture<byte[]> f = cluster.submit(0, tx);
        assertTrue(cluster.awaitAll(List.of(f), 60_000), "committed");
        assertTrue(LedgerResult.decode(f.join()).accepted());
    }

    private static LedgerApplication behind(BlockSource peers, StateStore state) {
        LedgerApplication l = new LedgerApplication(Actors.T0, LedgerStore.inMemory(), state, true);
        l.peers(peers);
        return l;
    }

    @Test
    void aProvenCatchUpIsAppliedAFewBlocksAtATimeAndEndsInTheCertifiedHead() {
        LedgerApplication source = (LedgerApplication) network(false).application(0);
        long target = source.head().header().height();
        StateStore state = StateStore.inMemory();
        LedgerApplication l = behind(source::serve, state);

        LedgerApplication.CatchUp c = l.planCatchUp(source.snapshot());
        assertEquals(target, c.target());
        assertEquals(target, c.blocks());
        assertEquals(0, l.head().header().height(), "proving the chain applies nothing");

        int steps = 0;
        while (!l.catchUpStep(c, 4)) {
            steps++;
            long h = l.head().header().height();
            assertEquals(4L * steps, h, "four blocks per step");
            assertEquals(source.block(h).header().hash(), l.head().header().hash(), "each step ends on the certified chain");
        }
        assertEquals((target + 3) / 4 - 1, steps);
        l.restore(source.snapshot(), source.lastExecuted());
        assertEquals(source.head().header().hash(), l.head().header().hash());
        assertEquals(source.lastExecuted(), l.lastExecuted());
        assertEquals(20, new WorldState(state).accessLog("pat-alice").size(), "the world state replayed");
        assertTrue(ChainVerifier.structural().verify(Chains.of(l)).valid());
        assertNull(l.planCatchUp(source.snapshot()), "nothing left to catch up");
    }

    @Test
    void aPeerServingAnotherChainIsRefusedBeforeAnythingIsApplied() {
        LedgerApplication certified = (LedgerApplication) network(false).application(0);
        LedgerApplication other = (LedgerApplication) network(true).application(0);
        assertFalse(certified.head().header().hash().equals(other.head().header().hash()));
        LedgerApplication l = behind(other::serve, StateStore.inMemory());

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.planCatchUp(certified.snapshot()));
        assertTrue(e.getMessage().contains("certified head hash"), e.getMessage());
        assertEquals(0, l.head().header().height(), "nothing applied");
    }

    @Test
    void aBlockSwappedAfterTheProofIsNotApplied() {
        LedgerApplication certified = (LedgerApplication) network(false).application(0);
        LedgerApplication other = (LedgerApplication) network(true).application(0);
        AtomicReference<BlockSource> serving = new AtomicReference<>(certified::serve);
        LedgerApplication l = behind((from, max) -> serving.get().fetch(from, max), StateStore.inMemory());

        LedgerApplication.CatchUp c = l.planCatchUp(certified.snapshot());
        serving.set(other::serve); // the peer changes its answer once the chain is proven
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.catchUpStep(c, Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("not the one proven"), e.getMessage());
        long h = l.head().header().height();
        assertTrue(h < certified.head().header().height());
        for (long i = 1; i <= h; i++) {
            assertEquals(certified.block(i).header().hash(), l.block(i).header().hash(), "only certified blocks stored");
        }
    }
}

package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.StateRequest;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.TestNodes;
import org.junit.jupiter.api.Test;

/** {@link StateTransfer} alone: the normal case, checkpointing and view changes are fakes. */
class StateTransferTest {

    private final PhaseFixture replica = new PhaseFixture(3);
    private final TestNodes t = replica.t;
    private final PhaseFixture.RecordingOrdering ordering = new PhaseFixture.RecordingOrdering();
    private final PhaseFixture.RecordingCheckpoints checkpoints = new PhaseFixture.RecordingCheckpoints();
    private final PhaseFixture.RecordingViews views = new PhaseFixture.RecordingViews();
    private final StateTransfer stateTransfer = new StateTransfer(replica.s);

    StateTransferTest() {
        stateTransfer.wire(ordering, checkpoints, views);
    }

    @Test
    void aReplicaBehindACertifiedCheckpointAsksEveryPeerForStateAfterOneRetryInterval() {
        stateTransfer.behind(8);
        replica.s.now = replica.s.settings.stateTransferRetryMillis() - 1;
        stateTransfer.onTick();
        assertFalse(stateTransfer.active());
        assertTrue(replica.sent(StateRequest.class).isEmpty());

        replica.s.now = replica.s.settings.stateTransferRetryMillis();
        stateTransfer.onTick();

        assertTrue(stateTransfer.active());
        List<StateRequest> asked = replica.sent(StateRequest.class);
        assertEquals(1, asked.size());
        assertEquals(0, asked.get(0).lastExecuted());
    }

    @Test
    void aStateResponseCarryingANewerViewEntersThatView() {
        NewView nv = t.newView(1, List.of(t.viewChange(1, 0, 0, List.of()), t.viewChange(1, 1, 0, List.of()),
                t.viewChange(1, 2, 0, List.of())), List.of());

        stateTransfer.onStateResponse(new StateResponse(1, 0, List.of(), null, List.of(), nv));

        assertEquals(List.of(nv), views.entered);
        assertEquals(List.of("tryExecute", "tryPropose"), ordering.calls);
    }

    @Test
    void committedBatchesOfAResponseReachTheNormalCaseWithTheirCommitCertificates() {
        Batch batch = t.batch(1, t.request(1, "x"));
        List<Commit> certificate = List.of(t.commit(0, 1, batch.digest(), 0), t.commit(0, 1, batch.digest(), 1),
                t.commit(0, 1, batch.digest(), 2));

        stateTransfer.onStateResponse(new StateResponse(0, 0, List.of(), null,
                List.of(new CommittedBatch(t.prePrepare(0, 1, batch), certificate)), null));

        assertEquals(List.of(batch), ordering.stored);
        assertEquals(certificate, replica.s.slots.get(1L).certificate);
        assertTrue(views.entered.isEmpty());
        assertTrue(checkpoints.calls.isEmpty());
    }
}

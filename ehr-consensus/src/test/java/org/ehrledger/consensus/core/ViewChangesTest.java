package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.ViewChange;
import org.ehrledger.consensus.TestNodes;
import org.junit.jupiter.api.Test;

/** {@link ViewChanges} alone: the normal case and checkpointing are fakes behind their interfaces. */
class ViewChangesTest {

    private final PhaseFixture backup = new PhaseFixture(1);
    private final PhaseFixture.RecordingOrdering ordering = new PhaseFixture.RecordingOrdering();
    private final PhaseFixture.RecordingCheckpoints checkpoints = new PhaseFixture.RecordingCheckpoints();
    private final ViewChanges viewChanges = new ViewChanges(backup.s);

    ViewChangesTest() {
        viewChanges.wire(ordering, checkpoints);
    }

    @Test
    void aBackupWhoseKnownRequestWaitsOneTimeoutAsksEveryoneForTheNextView() {
        backup.s.watched.put(backup.t.request(1, "x").key(), 0L);
        backup.s.now = backup.s.settings.viewChangeTimeoutMillis() - 1;
        viewChanges.onTick();
        assertEquals(0, backup.s.view, "not before the timeout");

        backup.s.now = backup.s.settings.viewChangeTimeoutMillis();
        viewChanges.onTick();

        assertEquals(1, backup.s.view);
        assertEquals(ReplicaState.Status.VIEW_CHANGE, backup.s.status);
        List<ViewChange> sent = backup.sent(ViewChange.class);
        assertEquals(1, sent.size());
        assertEquals(1, sent.get(0).newView());
        assertEquals(1, sent.get(0).replica());
        assertTrue(ordering.calls.isEmpty() && checkpoints.calls.isEmpty(), "nothing asked of the other phases yet");
    }

    @Test
    void theNewPrimaryEntersTheViewWithAQuorumAndReProposesTheBatchPreparedInTheOldView() {
        TestNodes t = backup.t; // replica 1 is the primary of view 1
        Digest prepared = TestNodes.digestOf("batch prepared in view 0");
        viewChanges.start(1);
        viewChanges.onViewChange(t.viewChange(1, 2, 0, List.of(t.preparedProof(0, 1, prepared, 1, 2))));
        assertEquals(ReplicaState.Status.VIEW_CHANGE, backup.s.status, "two of three view changes are no quorum");

        viewChanges.onViewChange(t.viewChange(1, 3, 0, List.of()));

        assertEquals(ReplicaState.Status.NORMAL, backup.s.status);
        List<NewView> announced = backup.sent(NewView.class);
        assertEquals(1, announced.size());
        assertEquals(List.of(1L), announced.get(0).prePrepares().stream().map(PrePrepare::sequence).toList());
        assertEquals(List.of(prepared), ordering.accepted.stream().map(PrePrepare::digest).toList(),
                "the normal case accepts the re-proposed batch at its old sequence");
        assertEquals(List.of("adopt 0"), checkpoints.calls, "the new view starts from the genesis checkpoint");
        assertEquals(List.of("recheckAll", "tryPropose"), ordering.calls, "the primary sends no prepare of its own");
        assertEquals(2, backup.s.nextSequence);
    }

    @Test
    void aBackupDoesNotFollowANewViewThatReProposesAnotherBatchThanTheOneItCommitted() {
        TestNodes t = backup.t;
        PhaseFixture replica2 = new PhaseFixture(2); // a backup of view 1
        PhaseFixture.RecordingOrdering decided = new PhaseFixture.RecordingOrdering();
        decided.contradicts = true;
        ViewChanges phase = new ViewChanges(replica2.s);
        phase.wire(decided, new PhaseFixture.RecordingCheckpoints());
        Digest other = TestNodes.digestOf("another batch");
        List<ViewChange> quorum = List.of(t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 1, other, 1, 3))),
                t.viewChange(1, 1, 0, List.of()), t.viewChange(1, 3, 0, List.of()));

        phase.onNewView(t.newView(1, quorum, List.of(t.header(1, 1, other))));

        assertEquals(1, replica2.s.view);
        assertEquals(ReplicaState.Status.NORMAL, replica2.s.status);
        assertTrue(decided.accepted.isEmpty(), "the contradicting pre-prepare is not accepted");
        assertEquals(List.of("recheckAll", "tryPropose"), decided.calls, "and no prepare is sent for it");
    }
}

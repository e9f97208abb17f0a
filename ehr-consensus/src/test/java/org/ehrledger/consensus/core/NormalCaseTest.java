package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.TestNodes;
import org.junit.jupiter.api.Test;

/** {@link NormalCase} alone: checkpointing, view changes and state transfer are fakes behind their interfaces. */
class NormalCaseTest {

    private final PhaseFixture.RecordingCheckpoints checkpoints = new PhaseFixture.RecordingCheckpoints();
    private final PhaseFixture.RecordingViews views = new PhaseFixture.RecordingViews();
    private final PhaseFixture.RecordingSynchronizer sync = new PhaseFixture.RecordingSynchronizer();

    private NormalCase normalCaseOf(PhaseFixture replica) {
        NormalCase normal = new NormalCase(replica.s);
        normal.wire(checkpoints, views, sync);
        return normal;
    }

    @Test
    void thePrimaryHoldsRequestsBackWhileItFetchesStateAndProposesThemAfterwards() {
        PhaseFixture primary = new PhaseFixture(0);
        NormalCase normal = normalCaseOf(primary);
        sync.active = true;

        normal.onRequest(primary.t.request(1, "x"), TestNodes.CLIENT);

        assertTrue(primary.sent(PrePrepare.class).isEmpty());
        assertEquals(1, primary.s.pending.size());

        sync.active = false;
        normal.tryPropose();

        List<PrePrepare> proposed = primary.sent(PrePrepare.class);
        assertEquals(1, proposed.size());
        assertEquals(1, proposed.get(0).sequence());
        assertEquals(0, primary.s.pending.size());
    }

    @Test
    void executingTheBatchAtACheckpointIntervalTakesACheckpointAndReportsProgressToTheViewTimer() {
        PhaseFixture backup = new PhaseFixture(1);
        NormalCase normal = normalCaseOf(backup);
        TestNodes t = backup.t;
        Request request = t.request(1, "x");
        Batch batch = t.batch(1, request);
        long checkpointAt = t.config.checkpointInterval();
        backup.s.lastExecuted = checkpointAt - 1;
        normal.storeBatch(batch);
        backup.s.slot(checkpointAt).certificate = List.of(t.commit(0, checkpointAt, batch.digest(), 0),
                t.commit(0, checkpointAt, batch.digest(), 1), t.commit(0, checkpointAt, batch.digest(), 2));

        normal.tryExecute();

        assertEquals(checkpointAt, backup.s.lastExecuted);
        assertEquals(List.of(checkpointAt), backup.executed.stream().map(b -> b.sequence()).toList());
        assertEquals(List.of("take " + checkpointAt), checkpoints.calls);
        assertEquals(List.of("onProgress"), views.calls);
        List<ReplyBatch> replies = backup.sent(ReplyBatch.class);
        assertEquals(1, replies.size(), "the client gets its reply");
        assertEquals(request.timestamp(), replies.get(0).replies().get(0).timestamp());
    }

    @Test
    void aPrePrepareOfALaterViewMakesTheBackupAskForThatViewInsteadOfAcceptingIt() {
        PhaseFixture backup = new PhaseFixture(1);
        NormalCase normal = normalCaseOf(backup);
        TestNodes t = backup.t;

        normal.onPrePrepare(t.prePrepare(1, 1, t.batch(1, t.request(1, "x"))));

        assertEquals(List.of("noteFutureView"), sync.calls);
        assertTrue(backup.s.slots.isEmpty(), "nothing accepted");
    }

    // ---- timestamps of new proposals and of a new view's re-proposals ----------------------------

    /** Proposed at this time, long before the backup's clock below. */
    private static final long PROPOSED_AT = 1_000;

    /**
     * Replica 2 in view 1, whose new-view message (validated from 2f+1 view changes) re-proposes at sequence 1
     * the batch {@code prepared} that replicas 0, 2 and 3 prepared in view 0; its clock is far past the batch's
     * timestamp.
     */
    private PhaseFixture backupInView1(Batch prepared) {
        PhaseFixture backup = new PhaseFixture(2);
        TestNodes t = backup.t;
        NewView nv = t.newView(1, List.of(
                t.viewChange(1, 0, 0, List.of(t.preparedProof(0, 1, prepared.digest(), 2, 3))),
                t.viewChange(1, 1, 0, List.of()), t.viewChange(1, 3, 0, List.of())),
                List.of(t.header(1, 1, prepared.digest())));
        assertNull(backup.s.validator.validNewView(nv), "the new view follows from its view changes");
        backup.s.view = 1;
        backup.s.latestNewView = nv;
        backup.s.now = PROPOSED_AT + 10 * backup.s.settings.maxClockSkewMillis();
        return backup;
    }

    /** A backup in view 1 whose new view re-proposes {@code prepared} (sequence 1), and its normal case. */
    private record ReProposal(Batch prepared, PhaseFixture backup, NormalCase normal) {
    }

    private ReProposal reProposalInView1() {
        TestNodes t = new TestNodes();
        Batch prepared = t.batch(PROPOSED_AT, t.request(1, "x"));
        PhaseFixture backup = backupInView1(prepared);
        return new ReProposal(prepared, backup, normalCaseOf(backup));
    }

    @Test
    void aBackupPreparesTheNewViewsReProposalOfABatchOlderThanTheClockSkew() {
        ReProposal r = reProposalInView1();
        Batch prepared = r.prepared();
        PhaseFixture backup = r.backup();
        NormalCase normal = r.normal();

        normal.onPrePrepare(backup.t.prePrepare(1, 1, prepared));

        List<Prepare> prepares = backup.sent(Prepare.class);
        assertEquals(1, prepares.size(), "the re-proposal is prepared");
        assertEquals(prepared.digest(), prepares.get(0).digest());
        assertEquals(1, prepares.get(0).view());
    }

    @Test
    void aNewProposalFarFromTheClockIsRefusedEvenRightAfterANewView() {
        ReProposal r = reProposalInView1();
        PhaseFixture backup = r.backup();
        NormalCase normal = r.normal();
        Batch fresh = backup.t.batch(PROPOSED_AT, backup.t.request(2, "y"));
        Batch future = backup.t.batch(backup.s.now + 10 * backup.s.settings.maxClockSkewMillis(),
                backup.t.request(3, "z"));

        normal.onPrePrepare(backup.t.prePrepare(1, 2, fresh)); // a sequence the new view does not re-propose
        normal.onPrePrepare(backup.t.prePrepare(1, 1, fresh)); // another batch than the re-proposed one
        normal.onPrePrepare(backup.t.prePrepare(1, 3, future));

        assertTrue(backup.sent(Prepare.class).isEmpty(), "no prepare for a batch the new view does not justify");
        assertTrue(backup.s.slots.values().stream().allMatch(slot -> slot.prePrepare == null), "nothing accepted");
    }

    @Test
    void aBackupThatGotTheReProposalsHeaderFromTheNewViewPreparesWhenThePrePrepareBringsTheBatch() {
        ReProposal r = reProposalInView1();
        Batch prepared = r.prepared();
        PhaseFixture backup = r.backup();
        NormalCase normal = r.normal();
        Slot slot = backup.s.slot(1);
        normal.accept(slot, backup.s.latestNewView.prePrepares().get(0)); // as entering the view does
        normal.sendPrepare(slot);
        assertTrue(backup.sent(Prepare.class).isEmpty(), "deferred until the batch is here");

        normal.onPrePrepare(backup.t.prePrepare(1, 1, prepared)); // the primary retransmits it with its batch

        List<Prepare> prepares = backup.sent(Prepare.class);
        assertEquals(1, prepares.size(), "the deferred prepare goes out");
        assertEquals(prepared.digest(), prepares.get(0).digest());
    }
}

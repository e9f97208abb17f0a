package org.ehrledger.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.PrePrepare;
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
}

package org.ehrledger.consensus.core;

import static org.ehrledger.consensus.TestNodes.stateAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.ehrledger.consensus.message.Checkpoint;
import org.junit.jupiter.api.Test;

/** {@link Checkpointing} alone: state transfer and log compaction are fakes. */
class CheckpointingTest {

    private final PhaseFixture replica = new PhaseFixture(0);
    private final PhaseFixture.RecordingSynchronizer sync = new PhaseFixture.RecordingSynchronizer();
    private final AtomicInteger compactions = new AtomicInteger();
    private final Checkpointing checkpointing = new Checkpointing(replica.s);

    CheckpointingTest() {
        checkpointing.wire(sync, compactions::incrementAndGet);
    }

    @Test
    void checkpointsOfFPlusOneReplicasAboveWhatThisReplicaExecutedMarkItBehind() {
        checkpointing.onCheckpoint(replica.t.checkpoint(8, stateAt(8), 1));
        assertTrue(sync.calls.isEmpty(), "one replica's word is no evidence");

        checkpointing.onCheckpoint(replica.t.checkpoint(8, stateAt(8), 2));

        assertEquals(List.of("behind 8"), sync.calls);
        assertEquals(0, replica.s.stableSequence);
    }

    @Test
    void aQuorumMatchingThisReplicasSnapshotMakesTheCheckpointStableAndCompactsTheLog() {
        replica.app.restore(replica.app.snapshot(), 8); // the application executed up to 8
        replica.s.lastExecuted = 8;
        checkpointing.take(8);
        List<Checkpoint> own = replica.sent(Checkpoint.class);
        assertEquals(1, own.size(), "the replica announces its checkpoint");

        checkpointing.onCheckpoint(replica.t.checkpoint(8, own.get(0).stateDigest(), 1));
        checkpointing.onCheckpoint(replica.t.checkpoint(8, own.get(0).stateDigest(), 3));

        assertEquals(8, replica.s.stableSequence);
        assertEquals(8, replica.s.lowWatermark());
        assertEquals(1, compactions.get());
        assertTrue(sync.calls.isEmpty());
    }

    @Test
    void aQuorumCertifyingAnotherStateThanThisReplicasRepairsItByStateTransfer() {
        replica.app.restore(replica.app.snapshot(), 8); // the application executed up to 8
        replica.s.lastExecuted = 8;
        checkpointing.take(8);

        for (int r = 1; r <= 3; r++) {
            checkpointing.onCheckpoint(replica.t.checkpoint(8, stateAt(8), r));
        }

        assertEquals(List.of("repair 8"), sync.calls);
        assertEquals(0, replica.s.stableSequence, "its own state is not made stable");
        assertEquals(0, compactions.get());
    }
}

package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.log.InMemoryConsensusLog;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.testfwk.HashChainApplication;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.ehrledger.consensus.TestNodes;

/**
 * The state of one replica of the four in {@link TestNodes} (K = 8, L = 32, simulation timers), for
 * driving one phase alone with fakes of the others in its place; it records what the replica sent.
 */
final class PhaseFixture {

    final TestNodes t = new TestNodes();
    /** Batches the application executed. */
    final List<OrderedBatch> executed = new ArrayList<>();
    final HashChainApplication app = new HashChainApplication(8, executed::add);
    final ReplicaState s;
    private final List<Envelope> sent = new ArrayList<>();

    PhaseFixture(int me) {
        Transport transport = new Transport() {
            @Override
            public void setReceiver(Receiver receiver) {
            }

            @Override
            public void start() {
            }

            @Override
            public void send(int destination, byte[] frame) {
                sent.add(Envelope.open(t.crypto(destination), frame));
            }

            @Override
            public void close() {
            }
        };
        s = new ReplicaState(t.config, SimCluster.simulationSettings(), me, t.crypto(me),
                new MessageValidator(t.config, t.directory), app, new InMemoryConsensusLog(), transport);
    }

    /** Releases the outbox (as the replica does after each event) and returns the distinct messages sent. */
    <T extends Message> List<T> sent(Class<T> type) {
        s.flush();
        List<T> out = new ArrayList<>();
        for (Envelope e : sent) {
            if (type.isInstance(e.message()) && out.stream().noneMatch(m -> m == e.message() || sameBroadcast(m, e))) {
                out.add(type.cast(e.message()));
            }
        }
        return out;
    }

    private static boolean sameBroadcast(Message m, Envelope e) {
        return java.util.Arrays.equals(TestNodes.encode(m), TestNodes.encode(e.message()));
    }

    /** Records what a phase asked of the normal case. */
    static class RecordingOrdering implements Ordering {
        final List<String> calls = new ArrayList<>();
        final List<PrePrepare> accepted = new ArrayList<>();
        final List<Batch> stored = new ArrayList<>();
        boolean contradicts;

        @Override
        public Batch batchFor(Digest digest) {
            return null;
        }

        @Override
        public void storeBatch(Batch batch) {
            stored.add(batch);
        }

        @Override
        public boolean contradictsDecision(Slot slot, Digest digest) {
            return contradicts;
        }

        @Override
        public void accept(Slot slot, PrePrepare prePrepare) {
            slot.accept(prePrepare);
            accepted.add(prePrepare);
        }

        @Override
        public void sendPrepare(Slot slot) {
            calls.add("sendPrepare " + slot.sequence);
        }

        @Override
        public void recheckAll() {
            calls.add("recheckAll");
        }

        @Override
        public void tryExecute() {
            calls.add("tryExecute");
        }

        @Override
        public void tryPropose() {
            calls.add("tryPropose");
        }
    }

    /** Records what a phase asked of checkpointing. */
    static class RecordingCheckpoints implements Checkpoints {
        final List<String> calls = new ArrayList<>();

        @Override
        public void take(long sequence) {
            calls.add("take " + sequence);
        }

        @Override
        public void retransmitLatest() {
            calls.add("retransmitLatest");
        }

        @Override
        public void adopt(long sequence, List<Checkpoint> proof) {
            calls.add("adopt " + sequence);
        }

        @Override
        public void install(long sequence, byte[] snapshot, boolean force) {
            calls.add("install " + sequence);
        }

        @Override
        public void makeStable(long sequence, Digest digest, List<Checkpoint> proof, byte[] snapshot) {
            calls.add("makeStable " + sequence);
        }

        @Override
        public void onCertified(long sequence, Digest digest, List<Checkpoint> proof) {
            calls.add("onCertified " + sequence);
        }

        @Override
        public void forgetUpTo(long sequence) {
            calls.add("forgetUpTo " + sequence);
        }
    }

    /** Records what a phase asked of the view-change protocol. */
    static class RecordingViews implements Views {
        final List<String> calls = new ArrayList<>();
        final List<NewView> entered = new ArrayList<>();

        @Override
        public void onProgress() {
            calls.add("onProgress");
        }

        @Override
        public void enter(NewView newView) {
            entered.add(newView);
        }
    }

    /** Records what a phase asked of state transfer; {@link #active} is set by the test. */
    static class RecordingSynchronizer implements Synchronizer {
        final List<String> calls = new ArrayList<>();
        boolean active;

        @Override
        public boolean active() {
            return active;
        }

        @Override
        public void behind(long sequence) {
            calls.add("behind " + sequence);
        }

        @Override
        public void repair(long sequence) {
            calls.add("repair " + sequence);
        }

        @Override
        public void noteFutureView() {
            calls.add("noteFutureView");
        }

        @Override
        public void askForCommitted() {
            calls.add("askForCommitted");
        }
    }
}

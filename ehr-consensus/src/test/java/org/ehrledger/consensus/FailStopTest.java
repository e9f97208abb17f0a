package org.ehrledger.consensus;

import static org.ehrledger.consensus.Scenarios.assertAllCompleted;
import static org.ehrledger.consensus.Scenarios.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.ConsensusLog;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.api.Transport;
import org.ehrledger.consensus.api.ClientSettings;
import org.ehrledger.consensus.client.PbftClient;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.core.ReplicaRunner;
import org.ehrledger.consensus.crypto.KeyPairs;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.crypto.PublicKeys;
import org.ehrledger.consensus.log.InMemoryConsensusLog;
import org.ehrledger.consensus.testfwk.ForwardingApplication;
import org.ehrledger.consensus.testfwk.HashChainApplication;
import org.ehrledger.consensus.testfwk.SimCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A replica that hits an error in the middle of an event stops instead of running on from a broken state. */
class FailStopTest {

    /** An application that applies a batch and then throws, once, at one sequence number: a half-done event. */
    private static final class FailingOnce extends ForwardingApplication {
        private final long failAt;
        private final AtomicBoolean failed = new AtomicBoolean();

        FailingOnce(long failAt) {
            super(new HashChainApplication(32, null));
            this.failAt = failAt;
        }

        @Override
        public List<byte[]> execute(OrderedBatch batch) {
            List<byte[]> results = inner.execute(batch);
            if (batch.sequence() == failAt && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("disk full while storing block " + failAt);
            }
            return results;
        }

        HashChainApplication chain() {
            return (HashChainApplication) inner;
        }
    }

    @Test
    void aReplicaWhoseApplicationFailsHalfWayStopsAndRecoversFromItsLogOnRestart() {
        boolean[] firstBoot = {true};
        SimCluster cluster = new SimCluster(4, 2, 303, SimCluster.simulationSettings(), 32, null,
                SimCluster.unbundledClients(), i -> {
                    if (i == 2 && firstBoot[0]) {
                        firstBoot[0] = false;
                        return new FailingOnce(3);
                    }
                    return new HashChainApplication(32, null);
                });
        assertAllCompleted(cluster, submit(cluster, 2, 10, "a"), 60_000);

        assertTrue(cluster.replica(2).status().failed(), "replica 2 stopped");
        assertTrue(cluster.replica(2).status().failure().contains("disk full while storing block 3"),
                cluster.replica(2).status().failure());
        assertEquals(2, cluster.replica(2).status().lastExecuted(), "nothing after the failed event");
        long sentBefore = cluster.network().sent();
        cluster.network().runFor(2_000);
        assertAllCompleted(cluster, submit(cluster, 2, 5, "b"), 60_000);
        assertEquals(2, cluster.replica(2).status().lastExecuted(), "a stopped replica handles nothing more");
        assertTrue(cluster.network().sent() > sentBefore);

        cluster.crash(2);
        cluster.restart(2);
        Scenarios.assertConverged(cluster, 30, Scenarios.all(cluster));
        assertFalse(cluster.replica(2).status().failed());
    }

    @Test
    void aReplicaWhoseLogCannotBeWrittenStopsBeforeSendingWhatDependsOnIt() {
        AtomicBoolean diskBroken = new AtomicBoolean();
        InMemoryConsensusLog[] durable = new InMemoryConsensusLog[4];
        SimCluster cluster = new SimCluster(4, 2, 304, SimCluster.simulationSettings(), 32, i -> {
            if (durable[i] == null) {
                durable[i] = new InMemoryConsensusLog();
            }
            InMemoryConsensusLog log = durable[i];
            return i != 1 ? log : new ConsensusLog() {
                @Override
                public void append(byte[] record) {
                    log.append(record);
                }

                @Override
                public void flush() {
                    if (diskBroken.get()) {
                        throw new java.io.UncheckedIOException(new java.io.IOException("fsync failed: I/O error"));
                    }
                    log.flush();
                }

                @Override
                public List<byte[]> readAll() {
                    return log.readAll();
                }

                @Override
                public void rewrite(List<byte[]> records) {
                    log.rewrite(records);
                }

                @Override
                public void close() {
                }
            };
        });
        assertAllCompleted(cluster, submit(cluster, 2, 5, "a"), 60_000);
        long before = cluster.replica(1).status().lastExecuted();
        // Once its log fails, nothing replica 1 says may leave it: the failing event's messages are dropped.
        List<String> fromReplica1 = new ArrayList<>();
        cluster.network().addInterceptor((from, to, frame) -> {
            if (from == 1 && cluster.replica(1).status().failed()) {
                fromReplica1.add("frame to " + to);
            }
            return List.of(frame);
        });
        diskBroken.set(true);
        assertAllCompleted(cluster, submit(cluster, 2, 10, "b"), 60_000);
        assertTrue(cluster.replica(1).status().failed(), "replica 1 stopped");
        assertTrue(cluster.replica(1).status().failure().contains("fsync failed"), cluster.replica(1).status().failure());
        assertEquals(List.of(), fromReplica1, "replica 1 sent nothing once it stopped");
        assertTrue(cluster.replica(1).status().lastExecuted() <= before + 1);

        cluster.network().clearInterceptors();
        diskBroken.set(false);
        durable[1].crash();
        cluster.crash(1);
        cluster.restart(1);
        Scenarios.assertConverged(cluster, 30, Scenarios.all(cluster));
    }

    /** Delivers frames between nodes of one JVM, synchronously, like a loss-free network. */
    private static final class LocalNetwork {
        private final Map<Integer, Transport.Receiver> receivers = new ConcurrentHashMap<>();

        Transport transport(int self) {
            return new Transport() {
                private Transport.Receiver receiver;

                @Override
                public void setReceiver(Receiver r) {
                    receiver = r;
                }

                @Override
                public void start() {
                    receivers.put(self, receiver);
                }

                @Override
                public void send(int destination, byte[] message) {
                    Transport.Receiver r = receivers.get(destination);
                    if (r != null && receivers.containsKey(self)) {
                        r.receive(message);
                    }
                }

                @Override
                public void close() {
                    receivers.remove(self);
                }
            };
        }
    }

    @Test
    @Timeout(120)
    void theRunnerStopsAFailedReplicaAndTakesItOffTheNetworkInsteadOfRetryingTheEvent() throws Exception {
        int n = 4;
        NodeKeys[] keys = new NodeKeys[n];
        List<ReplicaInfo> infos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys[i] = KeyPairs.deterministic(700 + i);
            infos.add(new ReplicaInfo(i, "127.0.0.1", 7900 + i, keys[i].publicKeys()));
        }
        ClusterConfig config = new ClusterConfig(infos, 16, 64);
        int clientId = ClusterConfig.FIRST_CLIENT_ID;
        NodeKeys clientKeys = KeyPairs.deterministic(799);
        Map<Integer, PublicKeys> directory = Map.of(clientId, clientKeys.publicKeys());
        LocalNetwork network = new LocalNetwork();
        Application[] apps = new Application[n];
        InMemoryConsensusLog[] logs = new InMemoryConsensusLog[n];
        List<ReplicaRunner> runners = new ArrayList<>();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < n; i++) {
                apps[i] = i == 3 ? new FailingOnce(3) : new HashChainApplication(32, null);
                logs[i] = new InMemoryConsensusLog();
                Transport t = network.transport(i);
                ReplicaRunner runner = new ReplicaRunner(new Replica(config, ReplicaSettings.defaults(), i, keys[i],
                        directory::get, apps[i], logs[i], t), t, 10_000);
                runner.start();
                runners.add(runner);
            }
            Transport ct = network.transport(clientId);
            PbftClient client = new PbftClient(config, clientId, clientKeys, ct, ClientSettings.builder().maxInFlightRequests(1).maxBundleOperations(1).build(),
                    System::currentTimeMillis);
            ct.setReceiver(client::receive);
            ct.start();
            ticker.scheduleAtFixedRate(() -> client.tick(System.currentTimeMillis()), 20, 20, TimeUnit.MILLISECONDS);
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                CompletableFuture<byte[]> f = client.submit(("op " + i).getBytes(StandardCharsets.UTF_8));
                f.get(30, TimeUnit.SECONDS); // one at a time: one request per batch
                futures.add(f);
            }
            Replica failed = runners.get(3).replica();
            assertTrue(await(failed::failed), "replica 3 stopped");
            assertEquals(2, failed.status().lastExecuted(), "the failed event was not retried");
            HashChainApplication broken = ((FailingOnce) apps[3]).chain();
            assertEquals(3, broken.count(), "the half-done batch was applied once, never twice");

            // Restarted from its log with a healthy application, it catches up with the others.
            runners.get(3).close();
            HashChainApplication fresh = new HashChainApplication(32, null);
            Transport t = network.transport(3);
            ReplicaRunner restarted = new ReplicaRunner(new Replica(config, ReplicaSettings.defaults(), 3, keys[3],
                    directory::get, fresh, logs[3], t), t, 10_000);
            restarted.start();
            runners.set(3, restarted);
            HashChainApplication reference = (HashChainApplication) apps[0];
            for (int i = 0; i < 4; i++) {
                client.submit(("more " + i).getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            }
            assertTrue(await(() -> fresh.count() == 24 && fresh.chain().equals(reference.chain())),
                    "restarted replica converges: " + fresh.count() + " vs " + reference.count());
        } finally {
            ticker.shutdownNow();
            runners.forEach(ReplicaRunner::close);
        }
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}

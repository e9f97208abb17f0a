package org.ehrledger.consensus.bench;

import java.nio.file.Path;

import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.config.ReplicaInfo;
import org.ehrledger.consensus.config.ReplicaSettings;
import org.ehrledger.consensus.config.StaticClientDirectory;
import org.ehrledger.consensus.core.Replica;
import org.ehrledger.consensus.core.ReplicaRunner;
import org.ehrledger.consensus.core.ReplicaStatus;
import org.ehrledger.consensus.crypto.NodeKeys;
import org.ehrledger.consensus.log.FileConsensusLog;
import org.ehrledger.consensus.testfwk.HashChainApplication;
import org.ehrledger.consensus.transport.JGroupsTransport;

/**
 * One benchmark replica in its own JVM: the trivial in-memory {@link HashChainApplication} with 1 KiB
 * results, a durable (fsync) write-ahead log, JGroups TCP with TLS on the genesis address ({@code
 * -Dehr.bench.no-tls=true} measures without TLS).
 *
 * <p>Usage: {@code BenchReplica <genesisDir> <id> <dataDir> [maxBatch]}
 */
public final class BenchReplica {

    private BenchReplica() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int id = Integer.parseInt(args[1]);
        Path data = Path.of(args[2]);
        ClusterConfig config = ClusterConfig.load(dir.resolve("genesis.properties"));
        StaticClientDirectory clients = StaticClientDirectory.load(dir.resolve("clients.properties"));
        ReplicaSettings.Builder settings = ReplicaSettings.builder();
        if (args.length > 3) {
            settings.maxBatchRequests(Integer.parseInt(args[3]));
        }
        ReplicaInfo me = config.replicas().get(id);
        NodeKeys keys = GenesisTool.readPrivate(dir.resolve("replica-" + id + ".key"));
        JGroupsTransport transport = JGroupsTransport.builder().id(id).keys(keys).genesis(config).clients(clients)
                .clusterName("ehr-bench").bind(me.host(), me.port()).tls(!Boolean.getBoolean("ehr.bench.no-tls")).build();
        Replica replica = new Replica(config, settings.build(), id, keys,
                clients, new HashChainApplication(1024, null),
                new FileConsensusLog(data.resolve("replica-" + id + ".wal"), true), transport);
        ReplicaRunner runner = new ReplicaRunner(replica, transport, 20_000);
        Runtime.getRuntime().addShutdownHook(new Thread(runner::close));
        runner.start();
        System.out.println("replica " + id + " started on " + me.host() + ":" + me.port());
        Path statusFile = data.resolve("replica-" + id + ".status");
        for (long tick = 1; ; tick++) {
            Thread.sleep(1_000);
            ReplicaStatus s = replica.status();
            String line = "replica=" + id + " view=" + s.view() + " primary=" + s.primary() + " executed="
                    + s.lastExecuted() + " stable=" + s.stableCheckpoint() + " pending=" + s.pendingRequests()
                    + " members=" + transport.reachable().size() + " rejected=" + s.rejectedMessages()
                    + " overflow=" + runner.overflow() + (s.viewChangeInProgress() ? " VIEW-CHANGE" : "")
                    + (s.stateTransfer() ? " STATE-TRANSFER" : "");
            java.nio.file.Files.writeString(statusFile, line + "\n");
            if (tick % 10 == 0) {
                System.out.println(line);
            }
        }
    }
}

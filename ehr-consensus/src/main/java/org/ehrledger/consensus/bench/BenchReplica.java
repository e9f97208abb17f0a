package org.ehrledger.consensus.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import org.ehrledger.consensus.node.ConsensusNode;
import org.ehrledger.consensus.node.GenesisDirectory;
import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.consensus.api.ReplicaSettings;
import org.ehrledger.consensus.testfwk.HashChainApplication;

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
        GenesisDirectory dir = GenesisDirectory.at(Path.of(args[0]));
        int id = Integer.parseInt(args[1]);
        Path data = Path.of(args[2]);
        ReplicaSettings.Builder settings = ReplicaSettings.builder();
        if (args.length > 3) {
            settings.maxBatchRequests(Integer.parseInt(args[3]));
        }
        ConsensusNode node = ConsensusNode.builder(dir, id).application(new HashChainApplication(1024, null))
                .dataDir(data).settings(settings.build()).clusterName("ehr-bench")
                .tls(!Boolean.getBoolean("ehr.bench.no-tls")).start();
        Runtime.getRuntime().addShutdownHook(new Thread(node::close));
        var me = node.genesis().replicas().get(id);
        System.out.println("replica " + id + " started on " + me.host() + ":" + me.port());
        Path statusFile = data.resolve("replica-" + id + ".status");
        for (long tick = 1; ; tick++) {
            Thread.sleep(1_000);
            ReplicaStatus s = node.status();
            String line = "replica=" + id + " view=" + s.view() + " primary=" + s.primary() + " executed="
                    + s.lastExecuted() + " stable=" + s.stableCheckpoint() + " pending=" + s.pendingRequests()
                    + " members=" + node.reachable().size() + " rejected=" + s.rejectedMessages()
                    + " overflow=" + node.overflow() + (s.viewChangeInProgress() ? " VIEW-CHANGE" : "")
                    + (s.stateTransfer() ? " STATE-TRANSFER" : "");
            Files.writeString(statusFile, line + "\n");
            if (tick % 10 == 0) {
                System.out.println(line);
            }
        }
    }
}

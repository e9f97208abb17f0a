package org.ehrledger.ejb.infrastructure.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

import org.ehrledger.ejb.testing.Certified;
import org.junit.jupiter.api.Test;

/** Where block sync listens and where it finds the other replicas. */
class ReplicaConfigTest {

    private final Certified network = new Certified(); // replicas at 127.0.0.1:7800-7803

    private ReplicaConfig config(int id) {
        ReplicaConfig c = new ReplicaConfig();
        c.replicaId = id;
        c.bindAddress = Optional.empty();
        c.syncBindAddress = Optional.empty();
        c.syncPort = Optional.empty();
        c.syncPeers = Optional.empty();
        return c;
    }

    @Test
    void blockSyncDefaultsToTheGenesisJGroupsPortPlus200() {
        ReplicaConfig c = config(2);
        assertEquals(new InetSocketAddress("127.0.0.1", 8002), c.syncBind(network.genesis));
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 8000), new InetSocketAddress("127.0.0.1", 8001),
                new InetSocketAddress("127.0.0.1", 8002), new InetSocketAddress("127.0.0.1", 8003)), c.syncPeers(network.genesis));
    }

    @Test
    void configuredAddressesWin() {
        ReplicaConfig c = config(1);
        c.syncPort = Optional.of(9100);
        c.syncBindAddress = Optional.of("127.0.0.3");
        c.syncPeers = Optional.of("a.example:1, b.example:2 ,c.example:3,d.example:4");
        assertEquals(new InetSocketAddress("127.0.0.3", 9100), c.syncBind(network.genesis));
        assertEquals("b.example", c.syncPeers(network.genesis).get(1).getHostString());
        assertEquals(4, c.syncPeers(network.genesis).get(3).getPort());
    }

    @Test
    void aPeerListThatDoesNotNameEveryReplicaIsRefused() {
        ReplicaConfig c = config(0);
        c.syncPeers = Optional.of("127.0.0.1:8000,127.0.0.1:8001");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.syncPeers(network.genesis));
        assertTrue(e.getMessage().contains("2 addresses for 4 replicas"), e.getMessage());
        c.syncPeers = Optional.of("127.0.0.1,127.0.0.1:8001,x:y,127.0.0.1:8003");
        e = assertThrows(IllegalArgumentException.class, () -> c.syncPeers(network.genesis));
        assertTrue(e.getMessage().startsWith("ehr.sync.peers: "), e.getMessage());
    }
}

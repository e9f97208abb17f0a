package org.ehrledger.consensus.transport;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.api.ReplicaInfo;

/**
 * Which node listens at which TCP address. JGroups keys its TCP connections by the address a peer claims in its
 * greeting, so without this table any authenticated node could claim another node's address and receive its
 * traffic. The replicas' genesis addresses belong to those replicas for good; any other address belongs to the
 * node last found listening there by a TLS connection this node opened itself (kept per node id, so bounded).
 * Thread-safe.
 */
public final class AddressOwners {

    private static final Logger LOG = Logger.getLogger(AddressOwners.class.getName());

    private final Map<InetSocketAddress, Integer> genesis;
    private final Map<InetSocketAddress, Integer> found = new HashMap<>();
    private final Map<Integer, InetSocketAddress> foundById = new HashMap<>();

    private AddressOwners(Map<InetSocketAddress, Integer> genesis) {
        this.genesis = Map.copyOf(genesis);
    }

    /** The owners of a network: its replicas own their genesis addresses. */
    public static AddressOwners of(ClusterConfig config) {
        Map<InetSocketAddress, Integer> map = new HashMap<>();
        for (ReplicaInfo r : config.replicas()) {
            InetSocketAddress a = new InetSocketAddress(r.host(), r.port());
            if (a.isUnresolved()) {
                // Still safe: the address is then checked like any other, by connecting to it.
                LOG.warning("cannot resolve the genesis address of replica " + r.id() + " (" + r.host() + ")");
            } else {
                map.put(a, r.id());
            }
        }
        return new AddressOwners(map);
    }

    /** The replica whose genesis address this is, or null. */
    public Integer genesisOwner(InetSocketAddress address) {
        return genesis.get(address);
    }

    /** Whether {@code node} owns the address: by genesis, or found listening there. */
    public synchronized boolean owns(int node, InetSocketAddress address) {
        Integer owner = genesis.get(address);
        if (owner == null) {
            owner = found.get(address);
        }
        return owner != null && owner == node;
    }

    /** Records that {@code node} answered a TLS connection to {@code address} (ignored for genesis addresses). */
    synchronized void found(InetSocketAddress address, int node) {
        if (genesis.containsKey(address)) {
            return;
        }
        InetSocketAddress previous = foundById.put(node, address);
        if (previous != null && !previous.equals(address)) {
            found.remove(previous, node);
        }
        Integer before = found.put(address, node);
        if (before != null && before != node) {
            foundById.remove(before, address);
        }
    }
}

package org.ehrledger.consensus.crypto;

import org.ehrledger.consensus.api.ClientDirectory;
import org.ehrledger.consensus.api.Verifier;
import org.ehrledger.consensus.api.ClusterConfig;

/** Public keys of every node: replicas from the genesis configuration, clients from the client directory. */
public final class KeyDirectory implements Verifier {

    private final ClusterConfig config;
    private final ClientDirectory clients;

    /** Combines the genesis replicas with a client directory. */
    public KeyDirectory(ClusterConfig config, ClientDirectory clients) {
        this.config = config;
        this.clients = clients;
    }

    /** Public keys of any node, or null when unknown or revoked. */
    public PublicKeys keys(int node) {
        return config.isReplica(node) ? config.replicaKeys(node) : clients.client(node);
    }

    @Override
    public boolean verify(int signer, byte[] message, byte[] signature) {
        PublicKeys k = keys(signer);
        return k != null && Ed25519.verify(k, message, signature);
    }

    @Override
    public boolean isKnownClient(int clientId) {
        return !config.isReplica(clientId) && clients.client(clientId) != null;
    }

    /** The cryptographic identity of a node in this directory. */
    public NodeCrypto crypto(int id, NodeKeys keys) {
        return new NodeCrypto(id, keys, this::keys);
    }
}

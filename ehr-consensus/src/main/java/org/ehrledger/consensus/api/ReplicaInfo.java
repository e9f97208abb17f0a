package org.ehrledger.consensus.api;

import org.ehrledger.consensus.crypto.PublicKeys;

/** One member of the genesis configuration: its id, network address and public keys. */
public record ReplicaInfo(int id, String host, int port, PublicKeys keys) {
}

package org.ehrledger.consensus.api;

import org.ehrledger.consensus.crypto.PublicKeys;

/**
 * The public keys of the clients allowed to submit requests: the same on every replica (it is part of the
 * network's configuration) and append-only, so that replicas never disagree on whether a request is
 * validly signed. Revoking a client is an ordered operation of the application, see
 * {@link Application#clientRevokedAt(int)}. Must be thread-safe.
 */
@FunctionalInterface
public interface ClientDirectory {

    /** The public keys of an admitted client, or {@code null} if the id is unknown. */
    PublicKeys client(int clientId);
}

package org.ehrledger.consensus.api;

import org.ehrledger.consensus.crypto.PublicKeys;

/** The clients allowed to submit requests. Must be thread-safe; revocation takes effect at once. */
@FunctionalInterface
public interface ClientDirectory {

    /** The public keys of an admitted client, or {@code null} if the id is unknown or revoked. */
    PublicKeys client(int clientId);
}

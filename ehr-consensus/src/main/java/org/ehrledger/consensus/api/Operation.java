package org.ehrledger.consensus.api;

/**
 * One operation for the application, taken from a committed request.
 *
 * @param clientId  the consensus client that submitted it (the host's gateway, not the end user)
 * @param timestamp the request's client timestamp
 * @param index     position of the operation in its request
 * @param payload   the opaque operation bytes (do not modify)
 */
public record Operation(int clientId, long timestamp, int index, byte[] payload) {
}

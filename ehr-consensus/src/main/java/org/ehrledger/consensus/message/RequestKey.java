package org.ehrledger.consensus.message;

/** Names a request: the issuing client and its timestamp. */
public record RequestKey(int clientId, long timestamp) {
}

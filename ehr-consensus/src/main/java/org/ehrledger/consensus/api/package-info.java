/**
 * The small interfaces the protocol core asks of its host, in the manner of SmartBFT's
 * {@code dependencies.go}: the replicated {@link org.ehrledger.consensus.api.Application}, the
 * {@link org.ehrledger.consensus.api.Transport}, {@link org.ehrledger.consensus.api.Signer} and
 * {@link org.ehrledger.consensus.api.Verifier}, the durable {@link org.ehrledger.consensus.api.ConsensusLog}
 * and the {@link org.ehrledger.consensus.api.ClientDirectory} of keys allowed to submit requests.
 */
package org.ehrledger.consensus.api;

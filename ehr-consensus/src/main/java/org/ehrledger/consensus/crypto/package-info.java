/**
 * Ed25519 signatures and X25519-derived HMAC link keys (Bouncy Castle), node keys and the directory of
 * every node's public keys. Hashes and Merkle trees are in the frozen {@link org.ehrledger.consensus.codec};
 * the commit certificates an application keeps are checked in {@link org.ehrledger.consensus.api}.
 */
package org.ehrledger.consensus.crypto;

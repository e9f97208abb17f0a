/**
 * Ed25519 signatures and X25519-derived HMAC link keys (Bouncy Castle), node keys and the directory of
 * every node's public keys, and commit certificates. Hashes and Merkle trees are in the frozen
 * {@link org.ehrledger.consensus.codec}.
 */
package org.ehrledger.consensus.crypto;

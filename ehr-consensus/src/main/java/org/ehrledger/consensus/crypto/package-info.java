/**
 * Hashing (JDK SHA-256) and Merkle trees, Ed25519 signatures and X25519-derived HMAC link keys (Bouncy
 * Castle), node keys and the directory of every node's public keys, and commit certificates.
 */
package org.ehrledger.consensus.crypto;

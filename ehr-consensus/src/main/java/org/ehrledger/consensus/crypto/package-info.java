/** Hashing (JDK SHA-256), Ed25519 signatures and X25519-derived HMAC link keys (Bouncy Castle). */
package org.ehrledger.consensus.crypto;

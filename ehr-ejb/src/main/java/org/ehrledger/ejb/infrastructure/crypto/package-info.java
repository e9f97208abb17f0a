/**
 * Cryptography of users and records, with Bouncy Castle passed as a provider instance (never
 * registered globally, so redeploying the application does not pin its class loader): Ed25519 signing
 * and X25519 encryption key pairs, the organisation's membership CA (X.509), password protection of
 * private keys (PBKDF2), PKCS#12 export, AES-256-GCM record encryption and X25519 + HKDF + AES-GCM
 * wrapping of record keys for each authorised reader. Key material never appears in
 * {@code toString()} or log output.
 */
package org.ehrledger.ejb.infrastructure.crypto;

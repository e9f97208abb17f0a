/**
 * The ledger, the deterministic contracts and the session beans of EHR Ledger.
 *
 * <p>This module plugs into {@code ehr-consensus} as its {@code Application}: it turns ordered,
 * committed batches into hash-chained blocks and encrypted off-chain records persisted with JPA.
 * {@code domain} holds the pure model and rules (the access policy among them), {@code application} the
 * contracts, the ledger and the role-checked session beans, {@code infrastructure} the database, the
 * consensus gateway, cryptography and identities.
 */
package org.ehrledger.ejb;

/**
 * The ledger, the deterministic contracts and the session beans of EHR Ledger.
 *
 * <p>This module plugs into {@code ehr-consensus} as its {@code Application}: it turns ordered,
 * committed batches into hash-chained blocks and encrypted off-chain records persisted with JPA.
 * Its content arrives with the ledger issue; the module exists now so that the reactor, the WAR
 * and the EAR already have their final shape.
 */
package org.ehrledger.ejb;

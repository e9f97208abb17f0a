/**
 * The deterministic contracts every replica runs on every committed transaction, in order, with
 * identical results everywhere: they authenticate the author from the signature and the on-chain
 * registry, check authorisation against consents and break-glass grants, and either apply the
 * transaction to the {@link org.ehrledger.ejb.application.contracts.WorldState} or reject it with a
 * precise reason and change nothing.
 */
package org.ehrledger.ejb.application.contracts;

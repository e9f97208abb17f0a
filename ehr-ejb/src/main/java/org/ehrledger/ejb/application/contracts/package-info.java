/**
 * The deterministic contracts every replica runs on every committed transaction, in order, with
 * identical results everywhere: they authenticate the author from the signature and the on-chain
 * registry, ask the {@link org.ehrledger.ejb.domain.model.access.AccessPolicy} who may read what, and
 * either apply the transaction to the {@link org.ehrledger.ejb.application.contracts.WorldState} or
 * reject it with a precise reason and change nothing.
 *
 * <p>{@link org.ehrledger.ejb.application.contracts.Contracts} decodes, dispatches, remembers executed
 * transactions and replays certified blocks; one class per rule family holds the rules (registry,
 * identities, records, consents, access, billing, keys and erasure). The world state is held as rows of a
 * {@link org.ehrledger.ejb.application.contracts.StateStore} with an incremental state commitment.
 */
package org.ehrledger.ejb.application.contracts;

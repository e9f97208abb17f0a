/**
 * JPA (EclipseLink) persistence of the ledger in each replica's own database (embedded Derby by
 * default): one row per block and per entry, the off-chain record contents, and the world state in one
 * table per kind of value ({@code State*Row}, see docs/STATE.md). Column values are the canonical
 * encodings, so the chain verifier and the state check at start detect any row edited directly in the
 * database.
 */
package org.ehrledger.ejb.infrastructure.persistence.jpa;

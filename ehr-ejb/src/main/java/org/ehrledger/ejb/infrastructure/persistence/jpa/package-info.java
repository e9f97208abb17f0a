/**
 * JPA (EclipseLink) persistence of the ledger in each replica's own database (embedded Derby by
 * default): one row per block and per entry, and the off-chain record contents. Column values are
 * the canonical encodings, so the chain verifier detects any row edited directly in the database.
 */
package org.ehrledger.ejb.infrastructure.persistence.jpa;

/**
 * The hash-chained ledger as values: a {@link org.ehrledger.ejb.domain.model.ledger.Block} per committed
 * consensus batch, its {@link org.ehrledger.ejb.domain.model.ledger.LedgerEntry} list with results, the
 * offline {@link org.ehrledger.ejb.domain.model.ledger.ReceiptVerifier} and the
 * {@link org.ehrledger.ejb.domain.model.ledger.ChainVerifier}. Pure logic: no JPA, no container, so a
 * patient's or auditor's tool can use it as it is.
 */
package org.ehrledger.ejb.domain.model.ledger;

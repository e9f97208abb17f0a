/**
 * Ledger transactions: the signed envelope ({@link org.ehrledger.ejb.domain.model.tx.SignedTransaction}),
 * its canonical field encoding ({@link org.ehrledger.ejb.domain.model.tx.Fields}) and the transaction
 * types. The author of a transaction is established by verifying its signature against the author's
 * registered key, never by trusting a field.
 */
package org.ehrledger.ejb.domain.model.tx;

/**
 * The ledger as the consensus library's {@code Application}: runs the contracts on every committed
 * batch and appends a block per batch with its entries, request skeletons and commit certificate.
 */
package org.ehrledger.ejb.application.ledger;

/**
 * Clinical records as the chain knows them (hash, size, category, author; the ciphertext lives
 * off-chain), record keys wrapped per reader, consents, break-glass grants and the access log.
 */
package org.ehrledger.ejb.domain.model.record;

/**
 * The application layer: the contracts ({@code contracts}), the ledger that runs them on every ordered batch
 * ({@code ledger}) and the session beans people and systems call ({@code service}); here, the typed errors
 * every interface maps once ({@link org.ehrledger.ejb.application.EhrException} with its
 * {@link org.ehrledger.ejb.application.ErrorCode}).
 */
package org.ehrledger.ejb.application;

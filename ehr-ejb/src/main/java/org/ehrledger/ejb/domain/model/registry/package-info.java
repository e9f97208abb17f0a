/** Organisations and users with their roles, keys and certificate status, as recorded on chain. */
package org.ehrledger.ejb.domain.model.registry;

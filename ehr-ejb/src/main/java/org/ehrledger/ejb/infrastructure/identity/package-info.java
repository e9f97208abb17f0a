/**
 * People's credentials on this replica: accounts with password-protected key pairs, the
 * organisation's membership CA, and the signed-in sessions that hold unlocked keys.
 */
package org.ehrledger.ejb.infrastructure.identity;

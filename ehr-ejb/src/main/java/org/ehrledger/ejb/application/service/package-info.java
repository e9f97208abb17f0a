/**
 * Session beans: the only way people and systems reach the ledger. Every method is role-checked
 * ({@code @RolesAllowed}, or {@code @PermitAll} where a stranger must be able to call it: sign-in,
 * sign-up, non-clinical network status); the caller's identity is the container's authenticated
 * principal, and transactions are signed with that person's own keys.
 */
package org.ehrledger.ejb.application.service;

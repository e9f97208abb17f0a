/**
 * Who may read which category of a patient's records, and why: the {@link
 * org.ehrledger.ejb.domain.model.access.AccessPolicy}, decided from plain facts (users, consents,
 * break-glass grants, the emergency state) it is given. The contracts that execute transactions, the
 * read paths of the session beans and the lists of readers a record key is wrapped for all ask it.
 * Pure logic: no JPA, no container, no cryptography.
 */
package org.ehrledger.ejb.domain.model.access;

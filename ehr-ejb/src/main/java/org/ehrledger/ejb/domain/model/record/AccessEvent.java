package org.ehrledger.ejb.domain.model.record;

/**
 * One read of clinical content, as the patient sees it in "who accessed my record".
 *
 * @param at       consensus time
 * @param patient  whose record
 * @param reader   who read
 * @param organisation the reader's organisation
 * @param category what was read
 * @param basis    why it was allowed
 * @param reason   the reader's stated reason
 */
public record AccessEvent(long at, String patient, String reader, String organisation, Category category,
                          AccessBasis basis, String reason) {
}

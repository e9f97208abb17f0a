package org.ehrledger.ejb.domain.model.record;

/**
 * A billable event (a prescription, encounter or procedure record) acknowledged as billed.
 *
 * @param recordId     the record
 * @param by           the billing clerk (or billing system) who acknowledged it
 * @param organisation their organisation
 * @param invoice      their invoice reference
 * @param at           consensus time
 */
public record Billed(String recordId, String by, String organisation, String invoice, long at) {
}

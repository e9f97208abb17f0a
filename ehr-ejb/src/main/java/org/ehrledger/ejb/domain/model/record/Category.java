package org.ehrledger.ejb.domain.model.record;

/**
 * Categories of a patient's records; consents are scoped by category. (Which HL7 FHIR resource types each
 * holds is one table of the FHIR facade, {@code RecordTypes}, shown in docs/FHIR.md.)
 */
public enum Category {
    DEMOGRAPHICS, NOTE, OBSERVATION, ALLERGY, CONDITION, ENCOUNTER, PROCEDURE, ATTACHMENT, PRESCRIPTION,
    /** Claims, explanations of benefit, coverage and invoices. */
    BILLING,
    /** The organisations, practitioners, locations and medications a patient's records point at, kept with them. */
    REFERENCE_DATA;

    /** Whether billing staff may see items of this category (under a billing consent). */
    public boolean billingRelevant() {
        return this == PRESCRIPTION || this == ENCOUNTER || this == PROCEDURE || this == BILLING;
    }
}

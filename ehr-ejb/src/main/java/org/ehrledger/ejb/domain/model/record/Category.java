package org.ehrledger.ejb.domain.model.record;

/** Categories of clinical content; consents are scoped by category. */
public enum Category {
    DEMOGRAPHICS, NOTE, OBSERVATION, ALLERGY, CONDITION, ENCOUNTER, PROCEDURE, ATTACHMENT, PRESCRIPTION;

    /** Whether billing staff may see items of this category (under a billing consent). */
    public boolean billingRelevant() {
        return this == PRESCRIPTION || this == ENCOUNTER || this == PROCEDURE;
    }
}

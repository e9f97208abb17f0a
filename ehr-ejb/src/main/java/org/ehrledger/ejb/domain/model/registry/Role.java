package org.ehrledger.ejb.domain.model.registry;

/** What a user may do. */
public enum Role {
    /** Manages identities of an organisation; never reads clinical content. */
    ADMIN,
    /** Reads and writes clinical data under consent, break-glass or emergency access. */
    PRACTITIONER,
    /** Sees billing-relevant items only, under a billing consent. */
    BILLING,
    /** Owns their record: always sees all of it and who accessed it. */
    PATIENT
}

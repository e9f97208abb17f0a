package org.ehrledger.ejb.application.contracts;

/**
 * The tables of the world state, each named as its relational table (the name is part of every row's
 * digest, see {@link org.ehrledger.ejb.domain.model.ledger.StateCommitment}). Each row has a key, a
 * canonical body ({@link StateRows}) and up to three indexed columns and an ordering number derived from
 * the body; what they hold is listed per table.
 */
public enum StateTable {
    /** Member organisations; key: organisation id. */
    ORGANISATION("STATE_ORGANISATION"),
    /** Users; key: user id; index 1: organisation, 2: signing key (hex), 3: encryption key (hex). */
    USER("STATE_USER"),
    /**
     * Clinical records' on-chain facts; key: record id; index 1: patient, 2: patient "/" category (then "/erased" if
     * erased, see {@link StateRows#patientCategory}); order: creation time.
     */
    RECORD("STATE_RECORD"),
    /** Wrapped data keys; key: record id "/" reader; index 1: record id, 2: reader. */
    KEY_WRAP("STATE_KEY_WRAP"),
    /** Consents; key: consent id; index 1: patient, 2: grantee. */
    CONSENT("STATE_CONSENT"),
    /** Break-glass grants; key: transaction id; index 1: patient, 2: practitioner; order: opening time. */
    BREAK_GLASS("STATE_BREAK_GLASS"),
    /** The access log; key: transaction id; index 1: patient; order: consensus time of the read. */
    ACCESS_EVENT("STATE_ACCESS_EVENT"),
    /** Billing acknowledgements; key: record id. */
    BILLED("STATE_BILLED"),
    /** Transactions already executed (accepted or refused); key: transaction id; empty body. */
    SEEN_TRANSACTION("STATE_SEEN_TX"),
    /** Pending emergency votes; key: kind ("DECLARE" or "END") "/" organisation; index 1: kind. */
    EMERGENCY_VOTE("STATE_EMERGENCY_VOTE"),
    /** The emergency state (absent: none); key: "current". */
    EMERGENCY_STATE("STATE_EMERGENCY"),
    /** Pending admissions; key: organisation "/" proposing organisation; index 1: organisation. */
    ADMISSION_VOTE("STATE_ADMISSION_VOTE"),
    /** Pending identity recoveries; key: user id. */
    RECOVERY("STATE_RECOVERY"),
    /** Completed identity recoveries; key: user id "/" completion time; index 1: user id; order: completion time. */
    RECOVERED("STATE_RECOVERED"),
    /** Whole-history imports (open and published); key: import id; index 1: patient, 2: author, 3: status; order: start. */
    IMPORT("STATE_IMPORT"),
    /** Records staged by an open import (never read as records); key: record id; index 1: import id; order: sequence. */
    STAGED_RECORD("STATE_STAGED_RECORD");

    private final String tableName;

    StateTable(String tableName) {
        this.tableName = tableName;
    }

    /** The relational table's name (also hashed into each row's digest). */
    public String tableName() {
        return tableName;
    }
}

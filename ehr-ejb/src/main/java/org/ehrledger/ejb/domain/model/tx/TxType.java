package org.ehrledger.ejb.domain.model.tx;

/**
 * The transaction types the contracts execute. Each has a fixed wire code (never reuse or renumber a
 * code: it is part of every signed transaction).
 */
public enum TxType {
    REGISTER_ORGANISATION(1),
    REGISTER_ADMIN(2),
    REGISTER_PRACTITIONER(3),
    REGISTER_PATIENT(4),
    UPDATE_DEMOGRAPHICS(5),
    ADD_RECORD(6),
    PRESCRIBE(7),
    GRANT_CONSENT(8),
    REVOKE_CONSENT(9),
    RECORD_ACCESS(10),
    OPEN_BREAK_GLASS(11),
    DECLARE_EMERGENCY(12),
    END_EMERGENCY(13),
    ROTATE_KEY(14),
    REVOKE_CERTIFICATE(15),
    ERASE_RECORD(16),
    ACKNOWLEDGE_BILLED(17),
    /** A second administrator confirms a staff registration (the two-person rule). */
    CONFIRM_REGISTRATION(18),
    /** An administrator asks to re-certify a person who lost their password. */
    REQUEST_RECOVERY(19),
    /** A second administrator approves a pending recovery; the old keys stop at once. */
    APPROVE_RECOVERY(20),
    /** The person's new keys, signed by the new key, with their records re-wrapped by the custodian. */
    COMPLETE_RECOVERY(21),
    /** Opens a whole-history import of one patient's records; records then carry its id and are staged. */
    BEGIN_IMPORT(22),
    /** Publishes every record an import staged, at once. */
    PUBLISH_IMPORT(23),
    /** Discards an open import and everything it staged. */
    ABORT_IMPORT(24);

    private final int code;

    TxType(int code) {
        this.code = code;
    }

    /** The wire code. */
    public int code() {
        return code;
    }

    /**
     * Whether transactions of this type carry content: the record's ciphertext follows as the next
     * operation of the same request, ordered and replicated with it, while only its hash is on chain.
     */
    public boolean carriesContent() {
        return this == ADD_RECORD || this == PRESCRIBE || this == UPDATE_DEMOGRAPHICS;
    }

    /** The type with a wire code, or null. */
    public static TxType of(int code) {
        for (TxType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}

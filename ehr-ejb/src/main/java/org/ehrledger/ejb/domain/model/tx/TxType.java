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
    ACKNOWLEDGE_BILLED(17);

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

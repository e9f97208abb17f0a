package org.ehrledger.ejb.domain.model.record;

/** Why a read of clinical content was allowed. */
public enum AccessBasis {
    /** The patient reading their own record. */
    OWNER,
    /** Under the patient's consent. */
    CONSENT,
    /** Under a time-limited, reasoned break-glass grant for this patient. */
    BREAK_GLASS,
    /** During the network emergency state declared by a quorum of administrators. */
    EMERGENCY
}

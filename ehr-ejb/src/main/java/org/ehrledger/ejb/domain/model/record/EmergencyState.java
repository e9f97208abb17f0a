package org.ehrledger.ejb.domain.model.record;

import java.util.Set;

/**
 * The network-wide emergency state (e.g. a mass-casualty event): declared, and ended, by a quorum of
 * administrators of distinct organisations. While active, every practitioner may read clinical
 * content, each read audited with its reason and visible to the patient.
 *
 * @param active       whether declared and not yet ended or expired
 * @param reason       the declared reason
 * @param since        when the quorum was reached
 * @param until        automatic end
 * @param declaredBy   administrators who declared it
 */
public record EmergencyState(boolean active, String reason, long since, long until, Set<String> declaredBy) {

    /** Longest emergency state. */
    public static final long MAX_MINUTES = 72 * 60;
    /** How long an administrator's vote to declare or end it waits for the others. */
    public static final long VOTE_WINDOW_MILLIS = 60 * 60_000;

    /** No emergency. */
    public static final EmergencyState NONE = new EmergencyState(false, "", 0, 0, Set.of());

    /** Whether it is in force at a time. */
    public boolean inForceAt(long at) {
        return active && at >= since && at < until;
    }
}

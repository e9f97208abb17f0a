package org.ehrledger.ejb.domain.model.registry;

import org.ehrledger.consensus.codec.Digest;

/**
 * The re-certification of a person who lost their password, decided by two administrators of their
 * organisation: one requests, a second approves, and the person completes it with both one-time codes
 * (each administrator hands over one half, so neither alone can complete it).
 *
 * @param userId       whose identity is recovered
 * @param requestedBy  the administrator who asked
 * @param requestedAt  consensus time of the request
 * @param reason       why (shown to the person)
 * @param requestCode  SHA-256 of the requesting administrator's half of the completion code
 * @param approvedBy   the second administrator, or null while pending
 * @param approvedAt   consensus time of the approval, or 0
 * @param approvalCode SHA-256 of the approving administrator's half, or null
 * @param completedAt  consensus time the new keys were registered, or 0
 */
public record Recovery(String userId, String requestedBy, long requestedAt, String reason, Digest requestCode,
                       String approvedBy, long approvedAt, Digest approvalCode, long completedAt) {

    /** How long each step of a recovery (approval, then completion) may wait. */
    public static final long STEP_MILLIS = 72 * 60 * 60_000L;

    /** A new request. */
    public static Recovery requested(String userId, String admin, long at, String reason, Digest code) {
        return new Recovery(userId, admin, at, reason, code, null, 0, null, 0);
    }

    /** Approved by a second administrator. */
    public Recovery approve(String admin, long at, Digest code) {
        return new Recovery(userId, requestedBy, requestedAt, reason, requestCode, admin, at, code, 0);
    }

    /** Completed with the person's new keys. */
    public Recovery complete(long at) {
        return new Recovery(userId, requestedBy, requestedAt, reason, requestCode, approvedBy, approvedAt, approvalCode, at);
    }

    /** Whether a second administrator approved it. */
    public boolean approved() {
        return approvedBy != null;
    }

    /** Until when its current step (approval, then completion) may happen, given the window of each step. */
    public long deadline(long windowMillis) {
        return (approved() ? approvedAt : requestedAt) + windowMillis;
    }
}

package org.ehrledger.ejb.application;

/**
 * Stable error codes of every interface (portal, JSON API, FHIR, SOAP), with the HTTP status they map to.
 * Clients may depend on the code; titles are for people.
 */
public enum ErrorCode {
    INVALID_INPUT(400, "The request is invalid"),
    UNAUTHENTICATED(401, "Authentication required"),
    FORBIDDEN(403, "Not allowed"),
    ENROLMENT_REQUIRED(403, "Enrolment required"),
    NOT_FOUND(404, "Not found"),
    CONFLICT(409, "Conflict"),
    ENROLMENT_CODE_EXPIRED(410, "Enrolment code expired"),
    IDEMPOTENCY_KEY_REUSED(422, "Idempotency key reused"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    REFUSED(422, "Refused by the ledger's rules"),
    TOO_MANY_ATTEMPTS(429, "Too many attempts"),
    BUSY(503, "The replica is busy"),
    UNAVAILABLE(503, "The replica is not ready"),
    /** The replica's stored ledger is damaged; it serves nothing until the operator repairs it. */
    DAMAGED(503, "The replica's ledger is damaged"),
    COMMIT_TIMEOUT(504, "Not committed in time");

    private final int httpStatus;
    private final String title;

    ErrorCode(int httpStatus, String title) {
        this.httpStatus = httpStatus;
        this.title = title;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String title() {
        return title;
    }
}

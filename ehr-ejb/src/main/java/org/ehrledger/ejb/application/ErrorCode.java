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
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    NOT_ACCEPTABLE(406, "Not acceptable"),
    CONFLICT(409, "Conflict"),
    ENROLMENT_CODE_EXPIRED(410, "Enrolment code expired"),
    IDEMPOTENCY_KEY_REUSED(422, "Idempotency key reused"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    REFUSED(422, "Refused by the ledger's rules"),
    /** FHIR: an interaction the server does not offer on a resource it keeps (e.g. a deny consent). */
    UNSUPPORTED(422, "Not supported"),
    /** FHIR: a resource type the ledger does not keep. */
    UNSUPPORTED_TYPE(422, "Resource type not kept"),
    /** FHIR: a transaction names a patient who is not registered. */
    UNKNOWN_PATIENT(422, "Unknown patient"),
    /** FHIR: a resource that does not validate against FHIR R4. */
    INVALID_RESOURCE(422, "The resource does not validate against FHIR R4"),
    TOO_MANY_ATTEMPTS(429, "Too many attempts"),
    /** FHIR Bulk Data: the caller, or the server, already runs as many exports as it may. */
    TOO_MANY_EXPORTS(429, "Too many exports"),
    /** FHIR import: the caller, or the server, already runs as many asynchronous imports as it may. */
    TOO_MANY_IMPORTS(429, "Too many imports"),
    /** A failure nobody foresaw; it is logged under a reference the answer gives. */
    INTERNAL(500, "Internal error"),
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

    /**
     * The code of an error the HTTP layer answers by itself (JAX-RS's 401, 403, 404, 405, 406, 415):
     * {@link #INVALID_INPUT} for any other client error.
     */
    public static ErrorCode ofHttpStatus(int status) {
        return switch (status) {
            case 401 -> UNAUTHENTICATED;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            default -> INVALID_INPUT;
        };
    }
}

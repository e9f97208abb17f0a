package org.ehrledger.web.fhir;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.OperationOutcome;

/** OperationOutcomes with the application's stable error code in {@code issue.details}. */
public final class Outcomes {

    /** The code system of the stable error codes (the same codes as the JSON API's problem details). */
    public static final String ERROR_SYSTEM = "urn:ehr-ledger:error";

    private Outcomes() {
    }

    public static OperationOutcome of(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, String code,
                                      String diagnostics) {
        OperationOutcome o = new OperationOutcome();
        o.addIssue().setSeverity(severity).setCode(type).setDiagnostics(diagnostics).setDetails(code(code, null));
        return o;
    }

    static CodeableConcept code(String code, String text) {
        CodeableConcept c = new CodeableConcept();
        c.addCoding().setSystem(ERROR_SYSTEM).setCode(code);
        if (text != null) {
            c.setText(text);
        }
        return c;
    }

    /** The issue type for an HTTP status. */
    static OperationOutcome.IssueType type(int status) {
        return switch (status) {
            case 400 -> OperationOutcome.IssueType.INVALID;
            case 401 -> OperationOutcome.IssueType.LOGIN;
            case 403 -> OperationOutcome.IssueType.FORBIDDEN;
            case 404 -> OperationOutcome.IssueType.NOTFOUND;
            case 405, 406, 415 -> OperationOutcome.IssueType.NOTSUPPORTED;
            case 409 -> OperationOutcome.IssueType.CONFLICT;
            case 413 -> OperationOutcome.IssueType.TOOLONG;
            case 422 -> OperationOutcome.IssueType.PROCESSING;
            case 429 -> OperationOutcome.IssueType.THROTTLED;
            case 503, 504 -> OperationOutcome.IssueType.TRANSIENT;
            default -> OperationOutcome.IssueType.EXCEPTION;
        };
    }
}

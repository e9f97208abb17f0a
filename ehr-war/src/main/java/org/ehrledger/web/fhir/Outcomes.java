package org.ehrledger.web.fhir;

import java.util.List;

import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.OperationOutcome;

/** OperationOutcomes with the application's stable error code in {@code issue.details}. */
public final class Outcomes {

    /** The code system of the stable error codes (the same codes as the JSON API's problem details). */
    public static final String ERROR_SYSTEM = "urn:ehr-ledger:error";
    /** The code of a warning that a declared profile was not checked (the validator does not have it). */
    static final String PROFILE_NOT_CHECKED = "PROFILE_NOT_CHECKED";

    private Outcomes() {
    }

    public static OperationOutcome of(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, String code,
                                      String diagnostics) {
        OperationOutcome o = new OperationOutcome();
        o.addIssue().setSeverity(severity).setCode(type).setDiagnostics(diagnostics).setDetails(code(code, null));
        return o;
    }

    /** A resource created: an information issue, then the validator's warnings about it (a profile not checked). */
    static OperationOutcome created(String location, List<SingleValidationMessage> warnings) {
        OperationOutcome o = of(OperationOutcome.IssueSeverity.INFORMATION, OperationOutcome.IssueType.INFORMATIONAL, "CREATED",
                "created " + location);
        warn(o, warnings, "");
        return o;
    }

    /**
     * Adds the validator's warnings as issues of severity warning; {@code prefix} is cut from their locations
     * (e.g. {@code Bundle.entry[2].resource.} for an entry's own outcome).
     */
    static void warn(OperationOutcome o, List<SingleValidationMessage> warnings, String prefix) {
        for (SingleValidationMessage m : warnings) {
            var issue = o.addIssue().setSeverity(OperationOutcome.IssueSeverity.WARNING)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL).setDiagnostics(m.getMessage())
                    .setDetails(code(PROFILE_NOT_CHECKED, "A declared profile is unknown here: validated against the base "
                            + "R4 specification only"));
            String at = m.getLocationString();
            if (at != null) {
                issue.addExpression(at.startsWith(prefix) ? at.substring(prefix.length()) : at);
            }
        }
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

package org.ehrledger.web.fhir;

import java.util.List;

import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.ejb.application.ErrorCode;

/** A FHIR request that fails: the HTTP status and the OperationOutcome to answer with. */
public class FhirException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient OperationOutcome outcome;

    public FhirException(int status, OperationOutcome.IssueType type, ErrorCode code, String diagnostics) {
        this(status, Outcomes.of(OperationOutcome.IssueSeverity.ERROR, type, code.name(), diagnostics));
    }

    public FhirException(int status, OperationOutcome outcome) {
        super(outcome.getIssueFirstRep().getDiagnostics(), null, false, false);
        this.status = status;
        this.outcome = outcome;
    }

    /** 400: the request is malformed. */
    public static FhirException invalid(String diagnostics) {
        return new FhirException(400, OperationOutcome.IssueType.INVALID, ErrorCode.INVALID_INPUT, diagnostics);
    }

    /** 404: no such resource (or type). */
    public static FhirException notFound(String diagnostics) {
        return new FhirException(404, OperationOutcome.IssueType.NOTFOUND, ErrorCode.NOT_FOUND, diagnostics);
    }

    /** 403: the caller may not do this. */
    public static FhirException forbidden(String diagnostics) {
        return new FhirException(403, OperationOutcome.IssueType.FORBIDDEN, ErrorCode.FORBIDDEN, diagnostics);
    }

    /** 422 {@code too-costly}: the answer would open more records than one request may (narrow the request). */
    public static FhirException tooCostly(String diagnostics) {
        return new FhirException(422, OperationOutcome.IssueType.TOOCOSTLY, ErrorCode.INVALID_INPUT, diagnostics);
    }

    /** 422: the resource is well-formed but breaks the specification's or the ledger's rules. */
    public static FhirException unprocessable(ErrorCode code, String diagnostics) {
        return new FhirException(422, OperationOutcome.IssueType.PROCESSING, code, diagnostics);
    }

    /** 422 listing every validation error, with its location. */
    public static FhirException invalidResource(List<ca.uhn.fhir.validation.SingleValidationMessage> errors) {
        OperationOutcome o = new OperationOutcome();
        for (var m : errors) {
            var issue = o.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR)
                    .setCode(OperationOutcome.IssueType.INVARIANT).setDiagnostics(m.getMessage());
            if (m.getLocationString() != null) {
                issue.addExpression(m.getLocationString());
            }
            issue.setDetails(Outcomes.code(ErrorCode.INVALID_RESOURCE.name(), ErrorCode.INVALID_RESOURCE.title()));
        }
        return new FhirException(422, o);
    }

    public int status() {
        return status;
    }

    public OperationOutcome outcome() {
        return outcome;
    }
}

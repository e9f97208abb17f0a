package org.ehrledger.web.fhir;

import java.util.List;

import jakarta.ws.rs.core.Response;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Transaction Bundles of one patient's records: bounded, validated as a whole, planned ({@link Transaction})
 * and committed together, answered with a transaction-response.
 */
final class Transactions {

    private final FhirRequest request;

    Transactions(FhirRequest request) {
        this.request = request;
    }

    Response commit(Resource body) {
        if (!(body instanceof Bundle bundle) || bundle.getType() != Bundle.BundleType.TRANSACTION) {
            throw FhirException.invalid("POST a Bundle of type transaction to the base URL");
        }
        if (bundle.getEntry().size() > RecordService.MAX_BATCH + 1) {
            throw new FhirException(413, OperationOutcome.IssueType.TOOLONG, ErrorCode.PAYLOAD_TOO_LARGE,
                    "a transaction holds at most " + RecordService.MAX_BATCH + " records and their patient; split it");
        }
        Fhir.Findings findings = FhirEndpoint.validate(bundle);
        Transaction t = Transaction.plan(bundle, request.is(Role.PATIENT) ? request.caller() : null);
        if (!request.isSelf(t.patientId())) {
            request.practitioners().find(t.patientId()); // the patient exists (NOT_FOUND otherwise); nothing is read
        }
        List<RecordService.Added> added = t.drafts().isEmpty() ? List.of() : request.records().addAll(t.patientId(), t.drafts());
        return Response.ok(t.response(added, findings.warnings())).build();
    }
}

package org.ehrledger.web.fhir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.json.Json;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.ErrorCode;

/**
 * An OperationOutcome written by hand, for servlet filters that answer a FHIR client before the facade runs (a
 * damaged replica, a replica out of turns for reads): they should not load HAPI's FHIR context just to say so.
 * Shaped as {@link Outcomes} shapes the facade's own errors.
 */
public final class RawOutcome {

    private RawOutcome() {
    }

    /** Answers {@code code}'s status with a fatal, transient OperationOutcome saying {@code diagnostics}. */
    public static void write(HttpServletResponse response, ErrorCode code, String diagnostics) throws IOException {
        var coding = Json.createObjectBuilder().add("system", Outcomes.ERROR_SYSTEM).add("code", code.name());
        var issue = Json.createObjectBuilder().add("severity", "fatal").add("code", "transient")
                .add("details", Json.createObjectBuilder().add("coding", Json.createArrayBuilder().add(coding))
                        .add("text", code.title()))
                .add("diagnostics", diagnostics);
        response.setStatus(code.httpStatus());
        response.setContentType("application/fhir+json;charset=UTF-8");
        response.getOutputStream().write(Json.createObjectBuilder().add("resourceType", "OperationOutcome")
                .add("issue", Json.createArrayBuilder().add(issue)).build().toString().getBytes(StandardCharsets.UTF_8));
    }
}

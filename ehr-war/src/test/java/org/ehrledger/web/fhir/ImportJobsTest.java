package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.Principal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import jakarta.ws.rs.core.SecurityContext;

import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/** Asynchronous imports: bounded per caller and in all, their progress, their answer for their sender alone. */
class ImportJobsTest {

    /** Imports that never finish, to see what the bounds refuse while they run. */
    private static final class StalledJobs extends ImportJobs {
        @Override
        Future<?> submit(Runnable task) {
            return new CompletableFuture<>();
        }
    }

    private static FhirRequest caller(String id) {
        SecurityContext security = new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return () -> id;
            }

            @Override
            public boolean isUserInRole(String r) {
                return r.equals("PRACTITIONER");
            }

            @Override
            public boolean isSecure() {
                return true;
            }

            @Override
            public String getAuthenticationScheme() {
                return "Bearer";
            }
        };
        return new FhirRequest(security, null, new FhirRequest.StatedReason("Import"), null, null, null, null);
    }

    @Test
    void importsAreBoundedPerCallerAndInAllAndAnsweredToTheirSenderAlone() {
        ImportJobs jobs = new StalledJobs();
        ImportJobs.Job first = jobs.start(caller("dr-a"), 3, p -> new Bundle());
        assertFalse(first.done());
        assertEquals("validating: 0 of 3 entries checked (0%)", first.progress.describe());
        FhirException busy = assertThrows(FhirException.class, () -> jobs.start(caller("dr-a"), 3, p -> new Bundle()));
        assertEquals(429, busy.status());
        assertEquals("TOO_MANY_IMPORTS", busy.outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        for (int i = 1; i < ImportJobs.MAX_RUNNING; i++) {
            jobs.start(caller("dr-" + i), 3, p -> new Bundle());
        }
        assertEquals(429, assertThrows(FhirException.class, () -> jobs.start(caller("dr-last"), 3, p -> new Bundle())).status());
        assertEquals(404, assertThrows(FhirException.class, () -> jobs.of(first.id, "dr-1")).status(),
                "another caller does not see the import");
        assertSame(first, jobs.of(first.id, "dr-a"));
        jobs.cancel(first.id, "dr-a");
        assertTrue(first.progress.cancelled, "a running import is told to stop (it aborts before its next request)");
    }

    @Test
    void aJobReportsEntriesAndPercentThenItsBundleOrItsErrorAsAnOutcome() {
        ImportJobs.Job ok = new ImportJobs.Job("j1", "dr-a", 5);
        Bundle response = new Bundle().setType(Bundle.BundleType.TRANSACTIONRESPONSE);
        response.addEntry().getResponse().setStatus("201 Created").setLocation("Observation/R-AAAAA-BBBBB-CCCCC-DDDDD/_history/1");
        ok.run(p -> {
            p.validated.set(5);
            p.total = 4;
            p.records.set(2);
            assertEquals("2 of 4 entries committed (50%)", p.describe());
            return response;
        });
        assertEquals(Fhir.json(response), Fhir.json(ok.result()), "the answer is kept as it was (as JSON text, read back when asked)");
        assertNull(ok.failure());

        ImportJobs.Job cancelled = new ImportJobs.Job("j2", "dr-a", 5);
        cancelled.run(p -> {
            throw new EhrException(ErrorCode.CONFLICT, "the import was cancelled; nothing of it is visible");
        });
        assertEquals(409, cancelled.failure().status());
        assertEquals("CONFLICT", cancelled.failure().outcome().getIssueFirstRep().getDetails().getCodingFirstRep().getCode());
        assertNull(cancelled.result());
    }
}

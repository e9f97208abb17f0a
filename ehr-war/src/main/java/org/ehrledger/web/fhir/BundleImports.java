package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.function.Predicate;

import jakarta.ejb.EJB;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.service.ImportService;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.RecordService;

/**
 * The portal's way into bundle imports: a file chosen on the import page is imported exactly as a
 * {@code Prefer: respond-async} transaction to the FHIR facade would be ({@link ImportJobs}, the same bounds, the
 * same job visible to the caller alone), as the signed-in caller.
 */
@ApplicationScoped
public class BundleImports {

    @EJB
    PatientService patients;

    @EJB
    PractitionerService practitioners;

    @EJB
    RecordService records;

    @EJB
    NetworkService network;

    @EJB
    ImportService imports;

    @Inject
    ImportJobs jobs;

    /** Where an import stands: done or not, percent, what X-Progress would say, records created, or the error. */
    public record Status(boolean done, int percent, String progress, int created, String error) {
    }

    /**
     * Starts importing a FHIR bundle file (JSON, or XML when {@code xml}) as {@code who}; the job id.
     * Throws {@link FhirException} (its OperationOutcome's diagnostics say what is wrong) when it cannot start.
     */
    public String start(Principal who, Predicate<String> inRole, byte[] file, boolean xml) {
        if (file.length > FhirProviders.MAX_BUNDLE_BYTES) {
            throw FhirException.invalid("a bundle file is at most " + FhirProviders.MAX_BUNDLE_BYTES / 1024 / 1024 + " MiB");
        }
        Resource parsed;
        try {
            parsed = (Resource) Fhir.parser(xml).parseResource(new String(file, StandardCharsets.UTF_8));
        } catch (DataFormatException | ClassCastException e) {
            throw FhirException.invalid("the file is not a FHIR R4 bundle in " + (xml ? "XML" : "JSON"));
        }
        parsed.setUserData(Transactions.BODY_HASH, Digest.sha256(file).hex());
        Bundle bundle = Transactions.checked(parsed);
        FhirRequest request = new FhirRequest(FhirRequest.fixed(who, inRole, "FORM"), null, new FhirRequest.StatedReason("Import (portal)"),
                patients, practitioners, records, network);
        return new Transactions(request, imports).start(bundle, jobs).id;
    }

    /** The caller's import (FhirException 404 for anyone else's). */
    public Status status(String jobId, String caller) {
        ImportJobs.Job job = jobs.of(jobId, caller);
        ImportJobs.Progress p = job.progress;
        int percent = p.total == 0 ? 0 : (int) (p.records.get() * 100L / p.total);
        if (!job.done()) {
            return new Status(false, percent, p.describe(), 0, null);
        }
        if (job.failure() != null) {
            return new Status(true, percent, p.describe(), 0, job.failure().getMessage());
        }
        int created = (int) job.result().getEntry().stream().filter(e -> e.getResponse().getStatus().startsWith("201")).count();
        return new Status(true, 100, p.describe(), created, null);
    }
}

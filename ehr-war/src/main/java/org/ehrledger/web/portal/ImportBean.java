package org.ehrledger.web.portal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;

import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.Part;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.web.fhir.BundleImports;
import org.ehrledger.web.fhir.FhirException;
import org.ehrledger.web.fhir.FhirProviders;

/**
 * The import page: a patient imports their own history, a practitioner a patient's under consent, from a FHIR
 * transaction bundle file (as another EHR exports it). The import runs in the background as the signed-in person
 * ({@link BundleImports}); the page polls its progress and shows the result.
 */
@Named("importer")
@ViewScoped
public class ImportBean implements Serializable {

    private static final long serialVersionUID = 1L;

    @Inject
    BundleImports imports;

    @Inject
    UserBean user;

    private transient Part file;
    private String jobId;
    private BundleImports.Status status;

    /** Starts importing the chosen file. */
    public String start() {
        if (file == null || file.getSize() == 0) {
            Portal.error("Choose a FHIR bundle file (JSON or XML) first.");
            return null;
        }
        if (file.getSize() > FhirProviders.MAX_BUNDLE_BYTES) {
            Portal.error("The file is larger than " + FhirProviders.MAX_BUNDLE_BYTES / 1024 / 1024 + " MiB.");
            return null;
        }
        String name = file.getSubmittedFileName() == null ? "" : file.getSubmittedFileName().toLowerCase(java.util.Locale.ROOT);
        try (InputStream in = file.getInputStream()) {
            byte[] bytes = in.readNBytes(FhirProviders.MAX_BUNDLE_BYTES + 1);
            var external = Portal.external();
            jobId = imports.start(external.getUserPrincipal(), external::isUserInRole, bytes, name.endsWith(".xml"));
            status = null;
            refresh();
        } catch (FhirException | EhrException e) {
            Portal.error(Portal.sentence(e.getMessage()));
        } catch (IOException e) {
            Portal.error("The file could not be read; choose it again.");
        }
        return null;
    }

    /** Reads where the import stands (the page asks every two seconds while it runs). */
    public String refresh() {
        if (jobId != null) {
            try {
                status = imports.status(jobId, user.getId());
            } catch (FhirException e) {
                jobId = null;
                status = null;
                Portal.error(Portal.sentence(e.getMessage()));
            }
        }
        return null;
    }

    public Part getFile() {
        return file;
    }

    public void setFile(Part file) {
        this.file = file;
    }

    /** Whether an import was started on this page. */
    public boolean isStarted() {
        return status != null;
    }

    /** Whether the import started on this page still runs. */
    public boolean isRunning() {
        return status != null && !status.done();
    }

    public BundleImports.Status getStatus() {
        return status;
    }
}

package org.ehrledger.web.portal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;
import jakarta.faces.view.ViewScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.web.fhir.Resources;
import org.ehrledger.ejb.domain.model.record.Category;

/** The patient's pages: their record, who accessed it, consents, and their data to take away. */
@Named("patient")
@ViewScoped
public class PatientBean implements Serializable {

    private static final long serialVersionUID = 1L;

    @EJB
    PatientService patients;

    private List<RecordView> records;
    private final Map<String, ClinicalRecords.RecordReceipt> receipts = new HashMap<>();
    private List<PatientService.Access> accessLog;
    private List<PatientService.ConsentView> consents;
    private String grantee;
    private List<String> categories = new ArrayList<>(List.of("NOTE", "OBSERVATION", "ALLERGY", "PRESCRIPTION"));
    private String expires;

    /**
     * The caller's own record. The page takes no patient id: opening it never names anyone else, so no link
     * (from this site or another) can make it submit anything in the visitor's name.
     */
    public List<RecordView> getRecords() {
        if (records == null) {
            records = RecordView.of(patients.myRecord());
        }
        return records;
    }

    /** Checks a record's receipt against the chain. */
    public void verify(String recordId) {
        ClinicalRecords.RecordReceipt r = Portal.attempt(() -> patients.receipt(recordId));
        if (r != null) {
            receipts.put(recordId, r);
        }
    }

    public Map<String, ClinicalRecords.RecordReceipt> getReceipts() {
        return receipts;
    }

    public List<PatientService.Access> getAccessLog() {
        if (accessLog == null) {
            accessLog = patients.accessLog();
        }
        return accessLog;
    }

    public List<PatientService.ConsentView> getConsents() {
        if (consents == null) {
            consents = patients.consents();
        }
        return consents;
    }

    /** Grants the consent described by the form. */
    public String grant() {
        long expiresAt = 0;
        if (expires != null && !expires.isBlank()) {
            try {
                expiresAt = LocalDate.parse(expires.strip()).plusDays(1).atStartOfDay(ZoneId.systemDefault()).toInstant()
                        .toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                Portal.error("The expiry must be a date such as 2027-01-31.");
                return null;
            }
        }
        long until = expiresAt;
        String who = grantee == null ? "" : grantee.strip();
        PatientService.Granted g = Portal.attempt(() -> patients.grantConsent(who, categories, until));
        if (g != null) {
            Portal.info("Consent given to " + who + " (recorded in block " + g.committed().height() + ").");
            grantee = null;
            consents = null;
        }
        return null;
    }

    /** Revokes one of the patient's consents. */
    public String revoke(String consentId) {
        var c = Portal.attempt(() -> patients.revokeConsent(consentId));
        if (c != null) {
            Portal.info("Consent withdrawn (recorded in block " + c.height() + "). Their access ends now.");
            consents = null;
        }
        return null;
    }

    /** Downloads the whole record as a FHIR R4 bundle (JSON). */
    public void downloadBundle() throws IOException {
        List<ClinicalRecords.Opened> mine = patients.myRecord();
        String me = mine.isEmpty() ? "" : mine.get(0).record().patient();
        byte[] json = Resources.collection(me, mine).getBytes(StandardCharsets.UTF_8);
        send("application/fhir+json", "ehr-record.json", json);
    }

    static void send(String type, String fileName, byte[] bytes) throws IOException {
        FacesContext faces = FacesContext.getCurrentInstance();
        ExternalContext ec = faces.getExternalContext();
        ec.responseReset();
        ec.setResponseContentType(type);
        ec.setResponseContentLength(bytes.length);
        ec.setResponseHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
        try (OutputStream out = ec.getResponseOutputStream()) {
            out.write(bytes);
        }
        faces.responseComplete();
    }

    /** Category names for the consent form. */
    public List<String> getCategoryChoices() {
        return java.util.Arrays.stream(Category.values()).map(Enum::name).toList();
    }

    public String getGrantee() {
        return grantee;
    }

    public void setGrantee(String grantee) {
        this.grantee = grantee;
    }

    public List<String> getCategories() {
        return categories;
    }

    public void setCategories(List<String> categories) {
        this.categories = categories;
    }

    public String getExpires() {
        return expires;
    }

    public void setExpires(String expires) {
        this.expires = expires;
    }
}

package org.ehrledger.web.portal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.faces.view.ViewScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.service.ClinicalRecords;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.record.Category;

/** The practitioner's pages: finding a patient, and the patient's chart with its forms. */
@Named("doctor")
@ViewScoped
public class DoctorBean implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Entries shown when a chart is opened, and added by each "Show older entries": only these are decrypted. */
    static final int PAGE = 50;

    @EJB
    PractitionerService practitioner;

    @EJB
    RecordService recordService;

    @Inject
    UserBean user;

    private String lookupId;
    private String searchName;
    private String searchBirthDate;
    private List<PractitionerService.Match> matches;

    private String patientId;
    private PractitionerService.PatientFound found;
    private List<RecordView> records;
    private long auditedIn;
    /** The reason the chart was opened with (older pages are read, and recorded, under it), and where they start. */
    private String openedFor;
    private String older;
    /** The patient's personal details when older than the first page (the chart is headed with their name). */
    private RecordView personal;
    private String reason = "Treatment";
    private String reasonDetail;

    private String noteTitle;
    private String noteText;
    private String obsName;
    private String obsValue;
    private String obsUnit;
    private String obsText;
    private String allergySubstance;
    private String allergyReaction;
    private String allergySeverity = "moderate";
    private String drug;
    private String dose;
    private String route = "oral";
    private String frequency;
    private String duration;
    private String instructions;
    private String breakGlassReason;
    private long breakGlassMinutes = 60;

    /** Goes to the chart of the patient with the id typed. */
    public String lookup() {
        String id = lookupId == null ? "" : lookupId.strip().toUpperCase(java.util.Locale.ROOT);
        PractitionerService.PatientFound p = Portal.attempt(() -> practitioner.find(id));
        return p == null ? null : "/doctor/chart.xhtml?faces-redirect=true&patient=" + p.patientId();
    }

    /** Finds consenting patients by name and date of birth. */
    public String search() {
        matches = Portal.attempt(() -> practitioner.search(searchName, searchBirthDate));
        if (matches != null && matches.isEmpty()) {
            Portal.info("No patient who gave you consent has that name and date of birth.");
        }
        return null;
    }

    /** Loads the patient named in the URL (view action): who they are and what may be read, nothing read yet. */
    public void load() {
        if (patientId == null || patientId.isBlank()) {
            Portal.error("No patient id given; look the patient up first.");
            return;
        }
        found = Portal.attempt(() -> practitioner.find(patientId));
    }

    /**
     * Opens the chart: the reads are committed to the ledger (with the reason) before anything is shown; the newest
     * {@value #PAGE} entries are decrypted and shown.
     */
    public String open() {
        String why = reasonDetail == null || reasonDetail.isBlank() ? reason : reason + ": " + reasonDetail.strip();
        try {
            PractitionerService.Chart chart = page(why, null);
            found = chart.patient();
            records = new ArrayList<>(RecordView.of(chart.records()));
            auditedIn = chart.auditedIn();
            openedFor = why;
            older = chart.next();
            personal = chart.personal() == null ? null : RecordView.of(List.of(chart.personal())).get(0);
            if (chart.auditedIn() == 0) {
                Portal.info("Nothing to read yet: the patient has no records you may see.");
            }
        } catch (EhrException e) {
            records = null;
            older = null;
            Portal.error(Portal.sentence(e.getMessage()));
        }
        return null;
    }

    /**
     * Shows the next {@value #PAGE} older entries of the open chart. It is a read like the first: recorded on the
     * ledger with the same reason (and refused if the basis ended meanwhile) before anything more is shown.
     */
    public String showOlder() {
        if (records == null || older == null) {
            return null;
        }
        try {
            PractitionerService.Chart chart = page(openedFor, older);
            records.addAll(RecordView.of(chart.records()));
            auditedIn = chart.auditedIn();
            older = chart.next();
        } catch (EhrException e) {
            Portal.error(Portal.sentence(e.getMessage()));
        }
        return null;
    }

    private PractitionerService.Chart page(String why, String after) {
        EnumSet<Category> all = EnumSet.allOf(Category.class);
        return practitioner.chart(patientId, why, all, new ClinicalRecords.PageQuery(all, Long.MIN_VALUE, Long.MAX_VALUE, after, PAGE));
    }

    /** Whether the open chart has older entries not shown yet. */
    public boolean isHasOlder() {
        return records != null && older != null;
    }

    /** Opens break-glass access with its reason; a countdown shows while it lasts. */
    public String breakGlass() {
        PractitionerService.PatientFound p = Portal.attempt(() -> practitioner.openBreakGlass(patientId, breakGlassReason,
                breakGlassMinutes));
        if (p != null) {
            found = p;
            breakGlassReason = null;
            Portal.info("Break-glass access is open for " + breakGlassMinutes
                    + " minutes. It is recorded on the ledger and shown to the patient.");
        }
        return null;
    }

    public String addNote() {
        return added(Portal.attempt(() -> recordService.addRecord(patientId, "NOTE", noteTitle, noteText)), "Note",
                noteTitle, noteText, Map.of(), () -> {
                    noteTitle = null;
                    noteText = null;
                });
    }

    public String addObservation() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("value", obsValue);
        details.put("unit", obsUnit);
        return added(Portal.attempt(() -> recordService.addRecord(patientId, "OBSERVATION", obsName, obsText, details)),
                "Observation", obsName, obsText, details, () -> {
                    obsName = null;
                    obsValue = null;
                    obsUnit = null;
                    obsText = null;
                });
    }

    public String addAllergy() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("reaction", allergyReaction);
        details.put("severity", allergySeverity);
        return added(Portal.attempt(() -> recordService.addRecord(patientId, "ALLERGY", allergySubstance, "", details)),
                "Allergy", allergySubstance, "", details, () -> {
                    allergySubstance = null;
                    allergyReaction = null;
                });
    }

    public String prescribe() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("dose", dose);
        details.put("route", route);
        details.put("frequency", frequency);
        details.put("duration", duration);
        return added(Portal.attempt(() -> recordService.prescribe(patientId, drug, dose, route, frequency, duration,
                instructions)), "Prescription", drug, instructions, details, () -> {
                    drug = null;
                    dose = null;
                    frequency = null;
                    duration = null;
                    instructions = null;
                });
    }

    private String added(RecordService.Added a, String what, String title, String text, Map<String, String> details,
                         Runnable clear) {
        if (a == null) {
            return null;
        }
        Portal.info(what + " saved: " + a.recordId() + ", committed in block " + a.committed().height() + ".");
        if (records != null) {
            List<RecordView.Detail> shown = new ArrayList<>();
            details.forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    shown.add(new RecordView.Detail(RecordView.label(k), v.strip()));
                }
            });
            records.add(0, new RecordView(a.recordId(), a.category(), title.strip(), text == null ? "" : text.strip(), shown,
                    user.getId(), System.currentTimeMillis(), false));
        }
        clear.run();
        return null;
    }

    /** Whether the chart was opened. */
    public boolean isOpened() {
        return records != null;
    }

    /** Whether the caller may read anything of this patient now. */
    public boolean isMayRead() {
        return found != null && !found.access().isEmpty();
    }

    /** Categories the caller may read, with why ("NOTE: Consent"). */
    public List<String[]> getAccess() {
        List<String[]> out = new ArrayList<>();
        if (found != null) {
            found.access().forEach((c, b) -> out.add(new String[] {c.name(), b.name()}));
        }
        return out;
    }

    /** The patient's name, when the chart shows their personal details. */
    public String getPatientName() {
        if (records == null) {
            return "";
        }
        return java.util.stream.Stream.concat(records.stream(), java.util.stream.Stream.ofNullable(personal))
                .filter(r -> r.category().equals("DEMOGRAPHICS")).findFirst()
                .flatMap(r -> r.details().stream().filter(d -> d.label().equals("Name")).findFirst())
                .map(RecordView.Detail::value).orElse("");
    }

    public List<String> getRoutes() {
        return List.of("oral", "intravenous", "intramuscular", "subcutaneous", "topical", "inhaled", "rectal", "sublingual");
    }

    public List<String> getReasons() {
        return List.of("Treatment", "Continuing care", "Consultation", "Medication review", "Lab result review");
    }

    // ---- properties --------------------------------------------------------------------------

    public PractitionerService.PatientFound getFound() {
        return found;
    }

    public List<RecordView> getRecords() {
        return records;
    }

    public long getAuditedIn() {
        return auditedIn;
    }

    public List<PractitionerService.Match> getMatches() {
        return matches;
    }

    public String getLookupId() { return lookupId; }
    public void setLookupId(String v) { lookupId = v; }
    public String getSearchName() { return searchName; }
    public void setSearchName(String v) { searchName = v; }
    public String getSearchBirthDate() { return searchBirthDate; }
    public void setSearchBirthDate(String v) { searchBirthDate = v; }
    public String getPatientId() { return patientId; }
    public void setPatientId(String v) { patientId = v == null ? null : v.strip().toUpperCase(java.util.Locale.ROOT); }
    public String getReason() { return reason; }
    public void setReason(String v) { reason = v; }
    public String getReasonDetail() { return reasonDetail; }
    public void setReasonDetail(String v) { reasonDetail = v; }
    public String getNoteTitle() { return noteTitle; }
    public void setNoteTitle(String v) { noteTitle = v; }
    public String getNoteText() { return noteText; }
    public void setNoteText(String v) { noteText = v; }
    public String getObsName() { return obsName; }
    public void setObsName(String v) { obsName = v; }
    public String getObsValue() { return obsValue; }
    public void setObsValue(String v) { obsValue = v; }
    public String getObsUnit() { return obsUnit; }
    public void setObsUnit(String v) { obsUnit = v; }
    public String getObsText() { return obsText; }
    public void setObsText(String v) { obsText = v; }
    public String getAllergySubstance() { return allergySubstance; }
    public void setAllergySubstance(String v) { allergySubstance = v; }
    public String getAllergyReaction() { return allergyReaction; }
    public void setAllergyReaction(String v) { allergyReaction = v; }
    public String getAllergySeverity() { return allergySeverity; }
    public void setAllergySeverity(String v) { allergySeverity = v; }
    public String getDrug() { return drug; }
    public void setDrug(String v) { drug = v; }
    public String getDose() { return dose; }
    public void setDose(String v) { dose = v; }
    public String getRoute() { return route; }
    public void setRoute(String v) { route = v; }
    public String getFrequency() { return frequency; }
    public void setFrequency(String v) { frequency = v; }
    public String getDuration() { return duration; }
    public void setDuration(String v) { duration = v; }
    public String getInstructions() { return instructions; }
    public void setInstructions(String v) { instructions = v; }
    public String getBreakGlassReason() { return breakGlassReason; }
    public void setBreakGlassReason(String v) { breakGlassReason = v; }
    public long getBreakGlassMinutes() { return breakGlassMinutes; }
    public void setBreakGlassMinutes(long v) { breakGlassMinutes = v; }
}

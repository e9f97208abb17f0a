package org.ehrledger.ejb.application.service;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;

/**
 * What practitioners do with a patient's record: find the patient, open the chart (every read audited on
 * chain first), and open break-glass access. Writing is {@link RecordService}.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
@RolesAllowed("PRACTITIONER")
public class PractitionerService {

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ClinicalRecords records;

    /**
     * A patient as a practitioner finds them before reading anything.
     *
     * @param patientId        the patient id
     * @param organisation     the patient's organisation (display name)
     * @param access           category to the caller's basis for reading it now (categories without one absent)
     * @param breakGlassUntil  end of the caller's open break-glass grant for this patient (0: none)
     * @param emergencyUntil   end of the network emergency state (0: none)
     */
    public record PatientFound(String patientId, String organisation, Map<Category, AccessBasis> access,
                               long breakGlassUntil, long emergencyUntil) {
    }

    /** Looks a patient up by id: who holds the record and what the caller may read (nothing is read). */
    public PatientFound find(String patientId) {
        String pid = Inputs.text("patient id", patientId, 64).toUpperCase(Locale.ROOT);
        String me = caller.id();
        long now = System.currentTimeMillis();
        PatientFound found = ledger.query(s -> {
            User p = s.user(pid);
            if (p == null || p.role() != Role.PATIENT) {
                return null;
            }
            Map<Category, AccessBasis> access = new EnumMap<>(Category.class);
            for (Category c : Category.values()) {
                AccessBasis b = s.access().basis(me, pid, c, now);
                if (b != null) {
                    access.put(c, b);
                }
            }
            BreakGlass g = s.access().openBreakGlass(me, pid, now);
            return new PatientFound(pid, ClinicalRecords.organisationName(s, p.organisation()), access,
                    g == null ? 0 : g.until(), s.emergency().inForceAt(now) ? s.emergency().until() : 0);
        });
        if (found == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no patient " + pid + "; check the id on the patient's card");
        }
        return found;
    }

    /** A patient found by name and date of birth among those who gave the caller consent. */
    public record Match(String patientId, String name, String birthDate) {
    }

    /**
     * Finds patients by full name and date of birth, among the patients whose consent in force names the
     * caller and covers their personal details (nothing of anyone else is opened; patients who consented to
     * the caller's whole organisation are found by their patient id).
     */
    public List<Match> search(String name, String birthDate) {
        String wanted = Inputs.text("name", name, 200).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        String born;
        try {
            born = LocalDate.parse(Inputs.text("date of birth", birthDate, 10)).toString();
        } catch (java.time.format.DateTimeParseException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "date of birth must be a date such as 1980-04-23");
        }
        String me = caller.id();
        long now = System.currentTimeMillis();
        List<ClinicalRecord> demographics = ledger.query(s -> {
            User self = s.user(me);
            List<ClinicalRecord> out = new ArrayList<>();
            for (Consent c : s.access().consentsGrantedTo(self, now)) {
                if (c.categories().contains(Category.DEMOGRAPHICS)) {
                    personalDetails(s, c.patient()).stream().filter(r -> out.stream().noneMatch(x -> x.id().equals(r.id())))
                            .forEach(out::add);
                }
            }
            return out;
        });
        // Only personal details wrapped for the caller (a consent to them) are opened: matching against
        // patients who consented to the whole organisation would mean an audited custodian read of each.
        List<Match> matches = new ArrayList<>();
        for (ClinicalRecord r : demographics) {
            if (!records.wrappedFor(r.id(), me)) {
                continue;
            }
            ClinicalRecords.Opened o = records.openOrExplain(r, me, caller.keys(), false);
            if (o.field("name").toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").equals(wanted)
                    && o.field("birthDate").equals(born) && matches.stream().noneMatch(m -> m.patientId().equals(r.patient()))) {
                matches.add(new Match(r.patient(), o.field("name"), o.field("birthDate")));
            }
        }
        return matches;
    }

    /**
     * A member organisation's group of patients: those who gave the whole organisation a consent in force.
     *
     * @param organisation the organisation id
     * @param name         its display name
     * @param patients     the members' patient ids, in id order
     */
    public record OrganisationGroup(String organisation, String name, List<String> patients) {
    }

    /**
     * The group of the caller's own organisation (the patients who consented to it, so its practitioners), once
     * the caller is checked to read every member's {@code categories} under a consent in force (a bulk export of
     * the group needs that; break-glass and the emergency state do not count). Nothing is read or decrypted.
     * Another organisation's group is refused ({@code FORBIDDEN}): who consented to it is its own to know.
     */
    public OrganisationGroup group(String organisationId, Set<Category> categories) {
        String org = Inputs.text("organisation id", organisationId, 64);
        String me = caller.id();
        long now = System.currentTimeMillis();
        GroupCheck found = ledger.query(s -> {
            Organisation o = s.organisation(org);
            User self = s.user(me);
            if (o == null || self == null) {
                return null;
            }
            List<String> members = List.copyOf(s.access().patientsConsentingTo(org, now));
            List<String> refused = new ArrayList<>();
            if (self.organisation().equals(org)) {
                for (String patient : members) {
                    Set<Category> missing = s.access().notConsented(self, patient, categories, now);
                    if (!missing.isEmpty()) {
                        refused.add(patient + " " + missing);
                    }
                }
            }
            return new GroupCheck(new OrganisationGroup(org, o.name(), members), self.organisation(), refused);
        });
        if (found == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no organisation " + org);
        }
        if (!found.callerOrganisation().equals(org)) {
            throw new EhrException(ErrorCode.FORBIDDEN, "the group of " + org + " is for its own practitioners; yours is Group/"
                    + found.callerOrganisation());
        }
        List<String> refused = found.refused();
        if (!refused.isEmpty()) {
            throw new EhrException(ErrorCode.FORBIDDEN, refused.size() + " member(s) of Group/" + org
                    + " gave no consent in force covering what is asked: " + String.join(", ", refused.subList(0, Math.min(10, refused.size())))
                    + (refused.size() > 10 ? ", ..." : "") + "; narrow the export with _type, or ask them for consent");
        }
        return found.group();
    }

    /** A group as the ledger holds it, the caller's organisation, and the members the caller may not read all of. */
    private record GroupCheck(OrganisationGroup group, String callerOrganisation, List<String> refused) {
    }

    /**
     * A patient's chart as the caller may read it now, or a page of it.
     *
     * @param patient   who and what the caller may read
     * @param records   the records read, newest first
     * @param auditedIn the block that recorded this read (0 if there was nothing to read)
     * @param next      for a page: the id of its last record when more follow (null: the last page, or the whole chart)
     * @param personal  for a first page: the patient's newest personal details (name, date of birth) when they were
     *                  read but are older than the page, so that the page can name the patient (null otherwise)
     */
    public record Chart(PatientFound patient, List<ClinicalRecords.Opened> records, long auditedIn, String next,
                        ClinicalRecords.Opened personal) {

        /** A whole chart. */
        public Chart(PatientFound patient, List<ClinicalRecords.Opened> records, long auditedIn) {
            this(patient, records, auditedIn, null, null);
        }
    }

    /**
     * Opens a patient's chart: one access transaction per category read, with the reason, committed
     * before anything is decrypted. Without any basis the attempt itself is recorded, and refused.
     */
    public Chart chart(String patientId, String reason) {
        return chart(patientId, reason, EnumSet.allOf(Category.class));
    }

    /**
     * Opens the given categories of a patient's chart, as {@link #chart(String, String)} does for all: only
     * these categories are read and recorded. Without a basis for any of them the attempt is recorded, and
     * refused. Every record read is decrypted (FHIR searches, exports, the portal's chart); a page of them is
     * {@link #chart(String, String, Set, ClinicalRecords.PageQuery)}.
     */
    public Chart chart(String patientId, String reason, Set<Category> categories) {
        return read(patientId, reason, categories, null, null);
    }

    /**
     * One page of a patient's chart: the reads are recorded exactly as {@link #chart(String, String, Set)} records
     * them (every category asked that the caller has a basis for and the patient has records in, whatever the page
     * shows), then only the page's records are decrypted: those of the categories read and the page's, newest
     * first, from where the page starts. {@link Chart#next} names where the next page starts.
     */
    public Chart chart(String patientId, String reason, Set<Category> categories, ClinicalRecords.PageQuery page) {
        return read(patientId, reason, categories, null, page);
    }

    /**
     * One record of a patient: the read is recorded as {@link #chart(String, String, Set)} records it for the
     * record's category, but only this record is decrypted (empty if the patient has no such record there).
     */
    public Chart record(String patientId, String recordId, Category category, String reason) {
        return read(patientId, reason, EnumSet.of(category), Inputs.text("record id", recordId, 80), null);
    }

    private Chart read(String patientId, String reason, Set<Category> categories, String onlyRecord,
                       ClinicalRecords.PageQuery page) {
        if (categories == null || categories.isEmpty()) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "name at least one category to read");
        }
        PatientFound p = find(patientId);
        String why = Inputs.text("reason for access", reason, 500);
        String me = caller.id();
        // The categories read: asked, with a basis, and holding records (one index probe each, nothing loaded).
        List<Category> read = ledger.query(s -> {
            List<Category> out = new ArrayList<>();
            for (Category c : p.access().keySet()) {
                if (categories.contains(c) && s.hasRecords(p.patientId(), c)) {
                    out.add(c);
                }
            }
            return out;
        });
        List<LedgerWriter.Signed> txs = new ArrayList<>();
        if (categories.stream().noneMatch(p.access()::containsKey)) {
            // No basis at all: the attempt goes on chain too, where the contracts refuse it with the reason.
            Category asked = categories.contains(Category.NOTE) ? Category.NOTE : categories.iterator().next();
            txs.add(LedgerWriter.recordAccess(caller.keys(), me, p.patientId(), asked, why));
        }
        long now = System.currentTimeMillis();
        String[] grounds = ledger.query(s -> {
            BreakGlass g = s.access().openBreakGlass(me, p.patientId(), now);
            return new String[] {g == null ? "" : g.reason(), s.emergency().reason()};
        });
        for (Category c : read) {
            // Without consent, the patient sees why the glass was broken (or the emergency) with the read itself.
            String stated = switch (p.access().get(c)) {
                case BREAK_GLASS -> "Break-glass: " + grounds[0] + " · " + why;
                case EMERGENCY -> "Emergency state: " + grounds[1] + " · " + why;
                default -> why;
            };
            txs.add(LedgerWriter.recordAccess(caller.keys(), me, p.patientId(), c, stated.length() > 1_000 ? stated.substring(0, 1_000) : stated));
        }
        if (txs.isEmpty()) {
            return new Chart(p, List.of(), 0);
        }
        List<Committed> committed = writer.commitAll(txs);
        // Only now, the reads being on chain, is anything decrypted: the one record, the page, or everything read.
        List<ClinicalRecord> opening;
        String next = null;
        if (read.isEmpty()) {
            opening = List.of();
        } else if (onlyRecord != null) {
            ClinicalRecord r = ledger.query(s -> s.record(onlyRecord));
            opening = r != null && r.patient().equals(p.patientId()) && read.contains(r.category()) && !r.erased()
                    ? List.of(r) : List.of();
        } else if (page != null) {
            ClinicalRecords.Found found = records.find(p.patientId(), EnumSet.copyOf(read), false, page);
            opening = found.records();
            next = found.next();
        } else {
            opening = records.all(p.patientId(), EnumSet.copyOf(read), false);
        }
        List<ClinicalRecords.Opened> opened = records.openAll(opening, me, caller.keys(), true, true);
        ClinicalRecords.Opened personal = null;
        if (page != null && page.after() == null && read.contains(Category.DEMOGRAPHICS)
                && opening.stream().noneMatch(r -> r.category() == Category.DEMOGRAPHICS)) {
            List<ClinicalRecord> newest = ledger.query(s -> personalDetails(s, p.patientId()));
            personal = newest.isEmpty() ? null : records.openOrExplain(newest.get(0), me, caller.keys(), true);
        }
        return new Chart(p, opened, committed.get(0).height(), next, personal);
    }

    /** A patient's newest personal details (not erased), as a list of at most one: one index probe. */
    private static List<ClinicalRecord> personalDetails(WorldState s, String patient) {
        return s.recordsOf(patient, EnumSet.of(Category.DEMOGRAPHICS), false, Long.MIN_VALUE, Long.MAX_VALUE, null, 1);
    }

    /** Opens time-limited break-glass access to a patient, with a mandatory reason (audited, shown to the patient). */
    public PatientFound openBreakGlass(String patientId, String reason, long minutes) {
        PatientFound p = find(patientId);
        String why = Inputs.text("reason", reason, 500);
        if (why.length() < 10) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "say why in at least 10 characters; the patient will see it");
        }
        if (minutes < 1 || minutes > BreakGlass.MAX_MINUTES) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "break-glass access lasts 1 to "
                    + BreakGlass.MAX_MINUTES + " minutes");
        }
        writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.OPEN_BREAK_GLASS,
                Fields.builder().put("patient", p.patientId()).put("reason", why).put("minutes", minutes).build()), null));
        return find(patientId);
    }
}

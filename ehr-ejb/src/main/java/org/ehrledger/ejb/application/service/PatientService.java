package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.json.Json;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.identity.AccountRow;
import org.ehrledger.ejb.infrastructure.identity.AccountStore;

/** What patients do for themselves: sign up and manage consent. */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class PatientService {

    /** JSON-P looks its provider up on every static call; one factory is enough. */
    private static final jakarta.json.JsonBuilderFactory JSON = Json.createBuilderFactory(null);

    @Inject
    Caller caller;

    @Inject
    AccountStore accounts;

    @Inject
    Enrolment enrolment;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ReplicaConfig config;

    @Inject
    org.ehrledger.ejb.infrastructure.identity.OrganisationCa organisationKeys;

    @Inject
    ClinicalRecords records;

    /** Who a patient is, as they enter it at sign-up (kept encrypted, as their demographics record). */
    public record Demographics(String name, String birthDate, String contact, String nationalId, String resource) {

        /** Personal details as people enter them (no FHIR Patient resource). */
        public Demographics(String name, String birthDate, String contact, String nationalId) {
            this(name, birthDate, contact, nationalId, null);
        }
    }

    /** A new patient: the id to sign in with, and where the registration is on chain. */
    public record SignedUp(String patientId, String organisation, Committed registration) {
    }

    /**
     * Self-service sign-up at this replica's organisation: keys generated and certified, sealed under the
     * password; the registration and the encrypted demographics record commit together.
     */
    @PermitAll
    public SignedUp signUp(Demographics who, char[] password) {
        Inputs.password(password);
        return enrol(who, id -> new Enrolment.Pending(enrolment.enrol(id, Role.PATIENT, password), null)).patient();
    }

    /**
     * A patient registered by staff, with their one-time enrolment code to hand over (shown once); it does not
     * sign in: the patient enrols with it and chooses their password (see {@link Enrolment}).
     */
    public record Registered(SignedUp patient, Enrolment.IssuedCode enrolment) {
    }

    /**
     * Registration of a patient by an administrator of this replica's organisation (the registration desk,
     * or an integration account importing patients): as at sign-up, keys are generated and certified and
     * the registration and encrypted demographics commit together; the patient then enrols with the code.
     */
    @RolesAllowed("ADMIN")
    public Registered register(Demographics who) {
        return enrol(who, id -> enrolment.register(id, Role.PATIENT));
    }

    /** Registers a patient with keys from {@code keysFor} (with an enrolment code, or sealed under a password). */
    private Registered enrol(Demographics who, java.util.function.Function<String, Enrolment.Pending> keysFor) {
        if (who == null) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "name, date of birth and contact are required");
        }
        String name = Inputs.text("name", who.name(), 200);
        String contact = Inputs.text("contact", who.contact(), 200);
        String nationalId = Inputs.optional("national id", who.nationalId(), 64);
        LocalDate born;
        try {
            born = LocalDate.parse(Inputs.text("date of birth", who.birthDate(), 10));
        } catch (DateTimeParseException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "date of birth must be a date such as 1980-04-23");
        }
        if (born.isAfter(LocalDate.now()) || born.isBefore(LocalDate.of(1880, 1, 1))) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "date of birth is not plausible");
        }
        String org = config.organisationId();
        if (ledger.query(s -> s.organisation(org)) == null) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "this replica's organisation " + org
                    + " is not registered on the ledger yet; sign up at a registered organisation");
        }
        String id = Ids.patient();
        Enrolment.Pending pending = keysFor.apply(id);
        Enrolment.Enrolled patient = pending.enrolled();
        byte[] register = LedgerWriter.sign(patient.keys(), id, TxType.REGISTER_PATIENT,
                patient.putPublic(Fields.builder().put("organisation", org), "").build());
        var fields = JSON.createObjectBuilder().add("name", name).add("birthDate", born.toString())
                .add("contact", contact).add("nationalId", nationalId);
        if (who.resource() != null) {
            // registered as an HL7 FHIR Patient: kept whole (gender, address, ...), read back as it was written
            fields.add(RecordService.RESOURCE, Inputs.text("FHIR resource", who.resource(), RecordService.MAX_RESOURCE));
        }
        byte[] content = fields.build().toString().getBytes(StandardCharsets.UTF_8);
        String recordId = Ids.record();
        Map<String, byte[]> readers = new TreeMap<>();
        readers.put(id, patient.keys().encryption().getPublic().getEncoded());
        readers.put(Organisation.custodianOf(org), organisationKeys.custodian().getPublic().getEncoded());
        RecordSealer.Sealed sealed = RecordSealer.seal(recordId, id, Category.DEMOGRAPHICS.name(), content, readers);
        byte[] demographics = LedgerWriter.sign(patient.keys(), id, TxType.UPDATE_DEMOGRAPHICS, sealed.body().build());
        List<Committed> c = writer.commitAll(List.of(new LedgerWriter.Signed(register, null),
                new LedgerWriter.Signed(demographics, sealed.ciphertext())));
        accounts.add(new AccountRow(id, Role.PATIENT.name(), org, name, patient.sealedKeys(), System.currentTimeMillis()));
        if (pending.code() != null) {
            enrolment.awaitEnrolment(pending.code());
        }
        return new Registered(new SignedUp(id, org, c.get(0)), pending.code());
    }

    /** A consent as granted. */
    public record Granted(String consentId, Committed committed) {
    }

    /**
     * Grants a practitioner ({@code grantee} = their user id) or a whole organisation ({@code org:<id>})
     * access to the caller's records of the given categories, until {@code expiresAt} (epoch ms, 0 = none).
     */
    @RolesAllowed("PATIENT")
    public Granted grantConsent(String grantee, List<String> categories, long expiresAt) {
        String who = Inputs.text("grantee", grantee, 80);
        if (categories == null || categories.isEmpty() || categories.size() > Category.values().length) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "name at least one category");
        }
        TreeMap<String, Boolean> names = new TreeMap<>();
        for (String c : categories) {
            names.put(Inputs.category(c).name(), true);
        }
        if (expiresAt < 0 || (expiresAt > 0 && expiresAt < System.currentTimeMillis())) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "the expiry must be in the future (or absent)");
        }
        boolean organisation = who.startsWith(Consent.ORGANISATION);
        User named = organisation ? null : ledger.query(s -> s.user(who));
        if (!organisation && (named == null || !AccessPolicy.readsUnderSomeConsent(named.role()))) {
            // patients and administrators read no one's records: answered as nobody, so no id is revealed
            throw new EhrException(ErrorCode.NOT_FOUND, "no practitioner or billing account " + who + " on the ledger");
        }
        String consentId = Ids.consent();
        Fields.Builder body = Fields.builder().put("consentId", consentId).put("grantee", who)
                .put("categories", List.copyOf(names.keySet())).put("expiresAt", expiresAt);
        User granteeUser = organisation ? null : ledger.query(s -> s.user(who));
        if (granteeUser != null) {
            // The patient is here with their keys: existing records get wrapped for the new reader at once.
            List<String> wraps = records.rewrapFor(caller.id(), caller.keys(), granteeUser, List.copyOf(names.keySet()));
            if (!wraps.isEmpty()) {
                body.put("wraps", wraps);
            }
        }
        Committed c = writer.commit(new LedgerWriter.Signed(
                LedgerWriter.sign(caller.keys(), caller.id(), TxType.GRANT_CONSENT, body.build()), null));
        return new Granted(consentId, c);
    }

    /** Revokes one of the caller's consents. */
    @RolesAllowed("PATIENT")
    public Committed revokeConsent(String consentId) {
        String id = Inputs.text("consent id", consentId, 80);
        Consent c = ledger.query(s -> s.consent(id));
        if (c == null || !c.patient().equals(caller.id())) {
            throw new EhrException(ErrorCode.NOT_FOUND, "you have no consent " + id);
        }
        return writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.REVOKE_CONSENT,
                Fields.builder().put("consentId", id).build()), null));
    }

    /** The caller's whole record, decrypted with their own key, newest first (their own reads are not audited). */
    @RolesAllowed("PATIENT")
    public List<ClinicalRecords.Opened> myRecord() {
        String me = caller.id();
        List<ClinicalRecord> all = ledger.query(s -> s.recordsOf(me));
        List<ClinicalRecord> newestFirst = new ArrayList<>(all);
        java.util.Collections.reverse(newestFirst);
        return records.openAll(newestFirst, me, caller.keys(), false, false);
    }

    /**
     * A page of the caller's own record, newest first, filtered by category and time: only the page's records are
     * decrypted (erased ones are shown as erased). {@link ClinicalRecords.OpenedPage#next} names the next page.
     */
    @RolesAllowed("PATIENT")
    public ClinicalRecords.OpenedPage myRecord(ClinicalRecords.PageQuery page) {
        String me = caller.id();
        ClinicalRecords.Found found = records.find(me, java.util.EnumSet.allOf(Category.class), true, page);
        return new ClinicalRecords.OpenedPage(records.openAll(found.records(), me, caller.keys(), false, false), found.next());
    }

    /**
     * The record of the patient named by a page or a link. The patient themselves get their record;
     * anyone else's id, registered or not, is never trusted: the attempt is submitted as an access
     * transaction, which the contracts refuse and the chain keeps as the audit entry, and the caller gets
     * the same refusal either way.
     */
    @RolesAllowed("PATIENT")
    public List<ClinicalRecords.Opened> record(String patientId) {
        if (self(patientId)) {
            return myRecord();
        }
        throw refused(patientId);
    }

    /** A page of the record of the patient named by a link: {@link #myRecord(ClinicalRecords.PageQuery)}, or refused as {@link #record(String)} is. */
    @RolesAllowed("PATIENT")
    public ClinicalRecords.OpenedPage record(String patientId, ClinicalRecords.PageQuery page) {
        if (self(patientId)) {
            return myRecord(page);
        }
        throw refused(patientId);
    }

    private boolean self(String patientId) {
        return Inputs.text("patient id", patientId, 64).equals(caller.id());
    }

    /** Submits a patient's attempt to read another's record (the contracts refuse it, on chain) and answers the refusal. */
    private EhrException refused(String patientId) {
        String me = caller.id();
        String pid = Inputs.text("patient id", patientId, 64);
        // Registered or not, the id gets the same refused attempt on chain and the same answer, which so
        // does not tell who is registered.
        try {
            writer.commit(LedgerWriter.recordAccess(caller.keys(), me, pid, Category.NOTE, "opened from the patient portal"));
        } catch (EhrException refused) {
            if (refused.code() != ErrorCode.REFUSED) {
                throw refused;
            }
            return new EhrException(ErrorCode.REFUSED, "a patient reads only their own record, not the record of " + pid
                    + LedgerWriter.whereRecorded(refused));
        }
        return new EhrException(ErrorCode.FORBIDDEN, "you can open only your own record"); // not reached: refused above
    }

    /** One read of the caller's record as they see it. */
    public record Access(long at, String reader, String readerName, String organisation, String category, String basis,
                         String reason, String registeredBy, String confirmedBy) {
    }

    /** Who read the caller's record, newest first. */
    @RolesAllowed("PATIENT")
    public List<Access> accessLog() {
        String me = caller.id();
        List<Access> out = new ArrayList<>();
        ledger.query(s -> {
            List<AccessEvent> log = s.accessLog(me);
            for (int i = log.size() - 1; i >= 0; i--) {
                AccessEvent e = log.get(i);
                User reader = s.user(e.reader());
                out.add(new Access(e.at(), e.reader(), "", ClinicalRecords.organisationName(s, e.organisation()),
                        e.category().name(), e.basis().name(), e.reason(), orEmpty(reader.registeredBy()),
                        orEmpty(reader.confirmedBy())));
            }
            return null;
        });
        List<Access> named = new ArrayList<>(out.size());
        Map<String, String> names = new TreeMap<>();
        for (Access a : out) {
            String name = names.computeIfAbsent(a.reader(), id -> {
                AccountRow row = accounts.find(id);
                return row == null ? "" : row.displayName();
            });
            named.add(new Access(a.at(), a.reader(), name, a.organisation(), a.category(), a.basis(), a.reason(),
                    a.registeredBy(), a.confirmedBy()));
        }
        return named;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** One of the caller's consents: whom it covers, for what, until when, and whether it is in force. */
    public record ConsentView(String consentId, String grantee, String granteeName, List<String> categories,
                              long expiresAt, String status) {
    }

    /** The caller's consents, in force first. */
    @RolesAllowed("PATIENT")
    public List<ConsentView> consents() {
        String me = caller.id();
        long now = System.currentTimeMillis();
        // The ledger's facts under its read lock; people's names from this replica's accounts after it.
        record Found(Consent consent, boolean organisation, String where) {
        }
        List<Found> found = ledger.query(s -> s.consentsOf(me).stream().map(c -> {
            if (c.grantee().startsWith(Consent.ORGANISATION)) {
                return new Found(c, true, ClinicalRecords.organisationName(s, c.grantee().substring(Consent.ORGANISATION.length())));
            }
            User u = s.user(c.grantee());
            return new Found(c, false, u == null ? "" : ClinicalRecords.organisationName(s, u.organisation()));
        }).toList());
        List<ConsentView> out = new ArrayList<>(found.size());
        for (Found f : found) {
            Consent c = f.consent();
            String name;
            if (f.organisation()) {
                name = "Everyone at " + f.where();
            } else {
                AccountRow row = accounts.find(c.grantee());
                name = (row == null ? c.grantee() : row.displayName()) + (f.where().isEmpty() ? "" : " (" + f.where() + ")");
            }
            String status = c.revoked() ? "Revoked" : c.expiresAt() != 0 && now >= c.expiresAt() ? "Expired" : "Active";
            out.add(new ConsentView(c.id(), c.grantee(), name, c.categories().stream().map(Enum::name).sorted().toList(),
                    c.expiresAt(), status));
        }
        out.sort(java.util.Comparator.comparing((ConsentView c) -> !c.status().equals("Active")));
        return out;
    }

    /** Where one of the caller's records is on chain, with its receipt checked ("verified in block N"). */
    @RolesAllowed("PATIENT")
    public ClinicalRecords.RecordReceipt receipt(String recordId) {
        String me = caller.id();
        String rid = Inputs.text("record id", recordId, 80);
        ClinicalRecord r = ledger.query(s -> s.record(rid));
        if (r == null || !r.patient().equals(me)) {
            throw new EhrException(ErrorCode.NOT_FOUND, "you have no record " + rid);
        }
        return records.receipt(r);
    }
}

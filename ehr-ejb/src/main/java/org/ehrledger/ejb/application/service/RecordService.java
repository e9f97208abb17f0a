package org.ehrledger.ejb.application.service;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.TxType;

/**
 * Writing clinical records: practitioners under the patient's consent (or break-glass, or the emergency
 * state), patients for themselves.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class RecordService {

    /** Largest text of one record. */
    public static final int MAX_TEXT = 256 * 1024;
    /** Most structured details of one record, and their largest value. */
    static final int MAX_DETAILS = 20;
    static final int MAX_DETAIL = 2_000;
    /** The field holding a record's HL7 FHIR resource (JSON) when it was written as one. */
    public static final String RESOURCE = "fhir";
    /**
     * Field names a writer's structured details may not use: the record's own fields, and the FHIR resource,
     * which only the FHIR facade sets after validating it (a planted one would be served as the record).
     */
    public static final java.util.Set<String> RESERVED_DETAILS = java.util.Set.of("title", "text", RESOURCE, "author", "category");
    /**
     * Largest FHIR resource of one record (its JSON). A record is sealed whole into one consensus request of at
     * most {@link #MAX_BATCH_BYTES} (the genesis allows 1 MiB a request), with its text and signatures: 512 KiB of
     * resource leaves room for them. Larger resources need a larger request size in the genesis.
     */
    public static final int MAX_RESOURCE = 512 * 1024;
    /** Most records committed together (each is two operations of one consensus request). */
    public static final int MAX_BATCH = 100;
    /** Largest consensus request of records written together (signed transactions and ciphertexts). */
    public static final int MAX_BATCH_BYTES = 768 * 1024;

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ClinicalRecords records;

    /** A committed record. */
    public record Added(String recordId, String patient, String category, Committed committed) {
    }

    /** Adds a note (or another category) with a title and text. */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public Added addRecord(String patientId, String categoryName, String title, String text) {
        return addRecord(patientId, categoryName, title, text, Map.of());
    }

    /**
     * Adds a record (note, observation or lab result, allergy, condition, ...) to a patient's record with
     * structured details (e.g. value and unit of an observation; reaction and severity of an allergy):
     * encrypted for its readers, hash and wraps on chain, ciphertext replicated off chain. Prescriptions go
     * through {@link PractitionerService#prescribe}, demographics through the patient.
     */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public Added addRecord(String patientId, String categoryName, String title, String text, Map<String, String> details) {
        if (Inputs.category(categoryName) == Category.PRESCRIPTION) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "PRESCRIPTION records have their own workflow (prescribe)");
        }
        return addAll(patientId, List.of(new Draft(categoryName, title, text, details, null))).get(0);
    }

    /**
     * Prescribes a medicine: drug, dose, route, frequency and duration, with optional instructions, as a
     * PRESCRIPTION record the contracts accept from practitioners only.
     */
    @RolesAllowed("PRACTITIONER")
    public Added prescribe(String patientId, String drug, String dose, String route, String frequency, String duration,
                           String instructions) {
        return addAll(patientId, List.of(Draft.prescription(drug, dose, route, frequency, duration, instructions, null))).get(0);
    }

    /**
     * A record to write: its category, title, text, structured details and, when it was written as an HL7
     * FHIR resource, that resource (JSON) kept with it. A prescription's details are its dose, route,
     * frequency and duration.
     */
    public record Draft(String category, String title, String text, Map<String, String> details, String resource,
                        String recordId) {

        /** A record whose id the ledger assigns. */
        public Draft(String category, String title, String text, Map<String, String> details, String resource) {
            this(category, title, text, details, resource, null);
        }

        /** The same record with an id chosen by the caller beforehand ({@link Ids#record()}), e.g. to refer to it. */
        public Draft withId(String id) {
            return new Draft(category, title, text, details, resource, id);
        }

        /** A prescription: the drug is its title and the instructions its text. */
        public static Draft prescription(String drug, String dose, String route, String frequency, String duration,
                                         String instructions, String resource) {
            Map<String, String> d = new LinkedHashMap<>();
            d.put("dose", dose);
            d.put("route", route);
            d.put("frequency", frequency);
            d.put("duration", duration);
            return new Draft(Category.PRESCRIPTION.name(), drug, instructions, d, resource);
        }
    }

    /**
     * Writes records of one patient together, in order, in one consensus request: every input is checked
     * first and, for more than one record, the caller's basis for each category too, so that either all are
     * submitted or none is. Practitioners write under consent, break-glass or the emergency state; patients
     * write their own (not prescriptions).
     */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public List<Added> addAll(String patientId, List<Draft> drafts) {
        if (drafts == null || drafts.isEmpty() || drafts.size() > MAX_BATCH) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "write 1 to " + MAX_BATCH + " records at a time");
        }
        RecordWrites.Prepared p = RecordWrites.prepare(drafts);
        return write(patientId, p.categories(), p.contents(), p.ids());
    }

    /** Checks and adds structured details (names are short words other than the reserved ones, values bounded). */
    static void putDetails(Map<String, String> fields, Map<String, String> details) {
        if (details == null) {
            return;
        }
        if (details.size() > MAX_DETAILS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "at most " + MAX_DETAILS + " details per record");
        }
        details.forEach((k, v) -> {
            if (k == null || !k.matches("[a-zA-Z]{1,32}") || fields.containsKey(k)
                    || RESERVED_DETAILS.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "detail names are 1 to 32 letters, other than the reserved "
                        + String.join(", ", new java.util.TreeSet<>(RESERVED_DETAILS)));
            }
            String value = Inputs.optional(k, v, MAX_DETAIL);
            if (!value.isEmpty()) {
                fields.put(k, value);
            }
        });
    }

    /** Where a record is: its patient and category (patients locate their own records only). */
    public record Located(String recordId, String patientId, String category) {
    }

    /** Finds a record by id, without reading it (nothing is decrypted). */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public Located locate(String recordId) {
        String rid = Inputs.text("record id", recordId, 80);
        String me = caller.id();
        ClinicalRecord r = ledger.query(s -> {
            ClinicalRecord found = s.record(rid);
            User self = s.user(me);
            return found == null || self == null || (self.role() == Role.PATIENT && !found.patient().equals(me)) ? null : found;
        });
        if (r == null || r.erased()) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no record " + rid);
        }
        return new Located(r.id(), r.patient(), r.category().name());
    }

    /**
     * Where a record is on chain, with its receipt checked: for the patient, and for practitioners who may
     * read the record's category now (hashes, heights and signatures only; nothing is decrypted).
     */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public ClinicalRecords.RecordReceipt receipt(String recordId) {
        String rid = Inputs.text("record id", recordId, 80);
        String me = caller.id();
        long now = System.currentTimeMillis();
        ClinicalRecord r = ledger.query(s -> {
            ClinicalRecord found = s.record(rid);
            return found != null && (found.patient().equals(me) || s.access().basis(me, found.patient(), found.category(), now) != null)
                    ? found : null;
        });
        if (r == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no record " + rid + " that you may read");
        }
        return records.receipt(r);
    }

    /** Seals and commits records written by the caller, in one consensus request. */
    List<Added> write(String patientId, List<Category> categories, List<Map<String, String>> contents, List<String> ids) {
        String me = caller.id();
        String pid = Inputs.text("patient id", patientId, 64);
        RecordWrites.Found found = RecordWrites.checked(ledger, me, pid, categories, categories.size() > 1);
        List<LedgerWriter.Signed> txs = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < categories.size(); i++) {
            Category category = categories.get(i);
            txs.add(RecordWrites.seal(caller.keys(), me, pid, category, contents.get(i), ids.get(i), found, null));
            bytes += RecordWrites.bytes(txs.get(i));
        }
        if (bytes > MAX_BATCH_BYTES) {
            throw new EhrException(ErrorCode.PAYLOAD_TOO_LARGE, "these records take " + bytes / 1024 + " KiB sealed; at most "
                    + MAX_BATCH_BYTES / 1024 + " KiB are committed together: send them in smaller parts; nothing was written");
        }
        List<Committed> committed = writer.commitAll(txs);
        List<Added> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            out.add(new Added(ids.get(i), pid, categories.get(i).name(), committed.get(i)));
        }
        return out;
    }

    /**
     * Erases a record by crypto-shredding (the patient, or an administrator of the patient's organisation,
     * with the legal basis): every key wrap goes and each replica deletes the ciphertext; the hash stays on
     * chain. The contracts decide who may.
     */
    @RolesAllowed({"PATIENT", "ADMIN"})
    public Committed erase(String recordId, String legalBasis) {
        String rid = Inputs.text("record id", recordId, 128);
        String basis = Inputs.text("legal basis", legalBasis, 500);
        if (ledger.query(s -> s.record(rid)) == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no record " + rid);
        }
        return writer.commit(new LedgerWriter.Signed(LedgerWriter.sign(caller.keys(), caller.id(), TxType.ERASE_RECORD,
                org.ehrledger.ejb.domain.model.tx.Fields.builder().put("recordId", rid).put("legalBasis", basis).build()),
                null));
    }
}

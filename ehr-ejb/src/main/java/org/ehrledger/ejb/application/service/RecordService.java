package org.ehrledger.ejb.application.service;

import java.util.LinkedHashMap;
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

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

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
        Category category = Inputs.category(categoryName);
        if (category == Category.PRESCRIPTION || category == Category.DEMOGRAPHICS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, category + " records have their own workflow");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("title", Inputs.text("title", title, 200));
        fields.put("text", Inputs.optional("text", text, MAX_TEXT));
        putDetails(fields, details);
        return write(patientId, category, TxType.ADD_RECORD, fields);
    }

    /**
     * Prescribes a medicine: drug, dose, route, frequency and duration, with optional instructions, as a
     * PRESCRIPTION record the contracts accept from practitioners only.
     */
    @RolesAllowed("PRACTITIONER")
    public Added prescribe(String patientId, String drug, String dose, String route, String frequency, String duration,
                           String instructions) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("title", Inputs.text("drug", drug, 200));
        fields.put("text", Inputs.optional("instructions", instructions, 4_000));
        fields.put("dose", Inputs.text("dose", dose, 100));
        fields.put("route", Inputs.text("route", route, 60));
        fields.put("frequency", Inputs.text("frequency", frequency, 100));
        fields.put("duration", Inputs.text("duration", duration, 100));
        return write(patientId, Category.PRESCRIPTION, TxType.PRESCRIBE, fields);
    }

    /** Checks and adds structured details (names are short words, values bounded). */
    static void putDetails(Map<String, String> fields, Map<String, String> details) {
        if (details == null) {
            return;
        }
        if (details.size() > MAX_DETAILS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "at most " + MAX_DETAILS + " details per record");
        }
        details.forEach((k, v) -> {
            if (k == null || !k.matches("[a-zA-Z]{1,32}") || fields.containsKey(k)) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "detail names are 1 to 32 letters, other than title and text");
            }
            String value = Inputs.optional(k, v, MAX_DETAIL);
            if (!value.isEmpty()) {
                fields.put(k, value);
            }
        });
    }

    /** Seals and commits a record written by the caller. */
    Added write(String patientId, Category category, TxType type, Map<String, String> fields) {
        String me = caller.id();
        String pid = Inputs.text("patient id", patientId, 64);
        long now = System.currentTimeMillis();
        // One query (one wait for the ledger's read lock) for the people and the record's readers.
        Object[] found = ledger.query(s -> {
            User author = s.user(me);
            User patient = s.user(pid);
            boolean ok = author != null && patient != null && patient.role() == Role.PATIENT;
            return new Object[] {author, patient, ok ? ClinicalRecords.readers(s, pid, me, category, now) : null};
        });
        User patient = (User) found[1];
        if (patient == null || patient.role() != Role.PATIENT) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no patient " + pid);
        }
        if (found[0] == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "you are not registered on the ledger");
        }
        fields.put("author", me);
        fields.put("category", category.name());
        String recordId = Ids.record();
        @SuppressWarnings("unchecked")
        Map<String, byte[]> readers = (Map<String, byte[]>) found[2];
        RecordSealer.Sealed sealed = ClinicalRecords.seal(recordId, pid, category, fields, readers);
        byte[] tx = LedgerWriter.sign(caller.keys(), me, type, sealed.body().build());
        Committed c = writer.commit(new LedgerWriter.Signed(tx, sealed.ciphertext()));
        return new Added(recordId, pid, category.name(), c);
    }
}

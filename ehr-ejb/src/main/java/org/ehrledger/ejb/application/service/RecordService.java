package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.json.Json;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.TxType;

/** Writing clinical records: practitioners under the patient's consent (or break-glass), patients for themselves. */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class RecordService {

    /** JSON-P looks its provider up on every static call; one factory is enough. */
    private static final jakarta.json.JsonBuilderFactory JSON = Json.createBuilderFactory(null);

    /** Largest text of one record. */
    public static final int MAX_TEXT = 256 * 1024;

    @Inject
    Caller caller;

    @Inject
    LedgerWriter writer;

    @Inject
    LedgerRuntime ledger;

    /** A committed record. */
    public record Added(String recordId, String patient, String category, Committed committed) {
    }

    /**
     * Adds a record (note, observation, allergy, condition, ...) to a patient's record: encrypted for the
     * patient and the author, hash and wraps on chain, ciphertext replicated off chain. Prescriptions go
     * through the prescribing workflow, demographics through the patient.
     */
    @RolesAllowed({"PRACTITIONER", "PATIENT"})
    public Added addRecord(String patientId, String categoryName, String title, String text) {
        Category category = Inputs.category(categoryName);
        if (category == Category.PRESCRIPTION || category == Category.DEMOGRAPHICS) {
            throw new EhrException(ErrorCode.INVALID_INPUT, category + " records have their own workflow");
        }
        String heading = Inputs.text("title", title, 200);
        String body = Inputs.text("text", text, MAX_TEXT);
        String me = caller.id();
        String pid = Inputs.text("patient id", patientId, 64);
        User[] people = ledger.query(s -> new User[] {s.user(me), s.user(pid)});
        User author = people[0];
        User patient = people[1];
        if (patient == null || patient.role() != Role.PATIENT) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no patient " + patientId);
        }
        if (author == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "you are not registered on the ledger");
        }
        Map<String, byte[]> readers = new TreeMap<>();
        readers.put(patient.id(), patient.encryptionKey());
        readers.put(author.id(), author.encryptionKey());
        byte[] content = JSON.createObjectBuilder().add("title", heading).add("text", body).add("author", me)
                .add("category", category.name()).build().toString().getBytes(StandardCharsets.UTF_8);
        String recordId = Ids.record();
        RecordSealer.Sealed sealed = RecordSealer.seal(recordId, patient.id(), category.name(), content, readers);
        byte[] tx = LedgerWriter.sign(caller.keys(), me, TxType.ADD_RECORD, sealed.body().build());
        Committed c = writer.commit(new LedgerWriter.Signed(tx, sealed.ciphertext()));
        return new Added(recordId, patient.id(), category.name(), c);
    }
}

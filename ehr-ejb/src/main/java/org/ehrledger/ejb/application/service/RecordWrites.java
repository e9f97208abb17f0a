package org.ehrledger.ejb.application.service;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * The steps every write of records shares ({@link RecordService} one batch at a time, {@link ImportService} a
 * whole history): drafts checked and turned into fields, the author's basis checked against this replica's
 * state, each record sealed and signed.
 */
final class RecordWrites {

    private RecordWrites() {
    }

    /** Drafts checked: per record its category, its fields and its id. */
    record Prepared(List<Category> categories, List<Map<String, String>> contents, List<String> ids) {
    }

    /** Checks drafts and turns them into the fields sealed into each record (ids chosen where the draft has none). */
    static Prepared prepare(List<RecordService.Draft> drafts) {
        List<Category> categories = new ArrayList<>();
        List<Map<String, String>> contents = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (RecordService.Draft d : drafts) {
            if (d == null) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "a record is missing");
            }
            if (d.recordId() != null && (!Ids.RECORD_ID.matcher(d.recordId()).matches() || !seen.add(d.recordId()))) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "a record id chosen beforehand is a new id such as R-XXXXX-XXXXX-XXXXX-XXXXX");
            }
            ids.add(d.recordId() == null ? Ids.record() : d.recordId());
            Category category = Inputs.category(d.category());
            Map<String, String> fields = new LinkedHashMap<>();
            if (category == Category.PRESCRIPTION) {
                Map<String, String> details = d.details() == null ? Map.of() : d.details();
                fields.put("title", Inputs.text("drug", d.title(), 200));
                fields.put("text", Inputs.optional("instructions", d.text(), 4_000));
                fields.put("dose", Inputs.text("dose", details.get("dose"), 100));
                fields.put("route", Inputs.text("route", details.get("route"), 60));
                fields.put("frequency", Inputs.text("frequency", details.get("frequency"), 100));
                fields.put("duration", Inputs.text("duration", details.get("duration"), 100));
            } else if (category == Category.DEMOGRAPHICS) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "personal details are the patient's own; they change them themselves");
            } else {
                fields.put("title", Inputs.text("title", d.title(), 200));
                fields.put("text", Inputs.optional("text", d.text(), RecordService.MAX_TEXT));
                RecordService.putDetails(fields, d.details());
            }
            if (d.resource() != null) {
                fields.put(RecordService.RESOURCE, Inputs.text("FHIR resource", d.resource(), RecordService.MAX_RESOURCE));
            }
            categories.add(category);
            contents.add(fields);
        }
        return new Prepared(categories, contents, ids);
    }

    /** The author, the patient, the readers per category and, when {@code checkBasis}, a category refused. */
    record Found(User author, User patient, Map<Category, Map<String, byte[]>> readers, Category refused) {
    }

    /** One query (one wait for the ledger's read lock) for the people, the caller's basis and the readers. */
    private static Found find(LedgerRuntime ledger, String me, String pid, List<Category> categories, boolean checkBasis) {
        long now = System.currentTimeMillis();
        return ledger.query(s -> {
            User author = s.user(me);
            User patient = s.user(pid);
            if (author == null || patient == null || patient.role() != Role.PATIENT) {
                return new Found(author, patient, null, null);
            }
            Map<Category, Map<String, byte[]>> readers = new EnumMap<>(Category.class);
            for (Category c : categories) {
                boolean refused = me.equals(pid) ? c == Category.PRESCRIPTION
                        : checkBasis && s.access().basis(me, pid, c, now) == null;
                if (refused) {
                    return new Found(author, patient, null, c);
                }
                readers.computeIfAbsent(c, k -> s.access().keyReaders(pid, me, k, now));
            }
            return new Found(author, patient, readers, null);
        });
    }

    /**
     * The people and readers for records of {@code categories}, the caller's basis for each checked first
     * when {@code checkBasis} (a batch, so that it is submitted whole or not at all; the contracts judge each
     * record on its own). This replica may trail a consent just committed through another one by a few blocks:
     * a refused check is repeated for up to two seconds. Throws the refusal a person understands.
     */
    static Found checked(LedgerRuntime ledger, String me, String pid, List<Category> categories, boolean checkBasis) {
        Found found = find(ledger, me, pid, categories, checkBasis);
        for (int tries = 0; checkBasis && found.refused() != null && found.refused() != Category.PRESCRIPTION && tries < 10; tries++) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            found = find(ledger, me, pid, categories, true);
        }
        if (found.author() != null && found.author().role() == Role.PATIENT && !me.equals(pid)) {
            // before looking at the id, so that the answer does not tell whether it is registered
            throw new EhrException(ErrorCode.FORBIDDEN, "a patient writes only in their own record; nothing was written");
        }
        if (found.patient() == null || found.patient().role() != Role.PATIENT) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no patient " + pid);
        }
        if (found.author() == null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "you are not registered on the ledger");
        }
        if (found.refused() == Category.PRESCRIPTION && me.equals(pid)) {
            throw new EhrException(ErrorCode.FORBIDDEN, "patients do not prescribe for themselves; nothing was written");
        }
        if (found.refused() != null) {
            throw new EhrException(ErrorCode.FORBIDDEN, "you may not write " + found.refused() + " records of " + pid
                    + " now: ask the patient for consent, or open break-glass access with a reason; nothing was written");
        }
        return found;
    }

    /** One record sealed for its readers and signed by {@code me}; staged in {@code importId} unless null. */
    static LedgerWriter.Signed seal(UserKeys keys, String me, String pid, Category category, Map<String, String> fields,
                                    String recordId, Found found, String importId) {
        fields.put("author", me);
        fields.put("category", category.name());
        RecordSealer.Sealed sealed = ClinicalRecords.seal(recordId, pid, category, fields, found.readers().get(category));
        if (importId != null) {
            sealed.body().put("importId", importId);
        }
        TxType type = category == Category.PRESCRIPTION ? TxType.PRESCRIBE : TxType.ADD_RECORD;
        return new LedgerWriter.Signed(LedgerWriter.sign(keys, me, type, sealed.body().build()), sealed.ciphertext());
    }

    /** What a signed record takes in a consensus request. */
    static long bytes(LedgerWriter.Signed s) {
        return s.transaction().length + (s.content() == null ? 0 : s.content().length);
    }
}

package org.ehrledger.ejb.application.contracts;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.Import;
import org.ehrledger.ejb.domain.model.record.StagedRecord;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Whole-history imports, all or nothing: {@code BEGIN_IMPORT} opens an import of one patient's records (a
 * declared number of them, from a bundle named by its hash); record transactions that carry its
 * {@code importId} are checked as any record and then staged, not added; {@code PUBLISH_IMPORT} moves every
 * staged record to the records in one transaction, once all declared records are staged;
 * {@code ABORT_IMPORT} discards it. An open import with nothing staged for {@link Import#EXPIRY_MILLIS} of
 * consensus time is expired: it accepts nothing more and is discarded by the next {@code BEGIN_IMPORT}.
 * Open imports are bounded per author and in all, so staged rows are bounded on every replica.
 * Part of {@link Contracts}: every check before the returned change.
 */
final class ImportContracts {

    private static final String HEX_SHA256 = "[0-9a-f]{64}";

    private final WorldState state;
    private final Parties parties;
    private final AccessPolicy access;

    ImportContracts(WorldState state, Parties parties, AccessPolicy access) {
        this.state = state;
        this.parties = parties;
        this.access = access;
    }

    /** Opens an import: the patient for themself, or a practitioner (each record is then checked as written). */
    Runnable begin(SignedTransaction tx, long now) {
        User author = parties.author(tx);
        Fields b = tx.body();
        String importId = Bodies.id(b, "importId");
        User patient = parties.patient(b.string("patient"));
        String bundleHash = b.string("bundleHash");
        long declared = b.number("records");
        if (!bundleHash.matches(HEX_SHA256)) {
            throw new Rejected("an import names its bundle by the hex SHA-256 of its bytes");
        }
        if (declared < 1 || declared > Import.MAX_RECORDS) {
            throw new Rejected("an import holds 1 to " + Import.MAX_RECORDS + " records");
        }
        boolean own = author.id().equals(patient.id());
        if (!own && author.role() != Role.PRACTITIONER) {
            throw new Rejected("a patient imports only their own records; staff import as practitioners");
        }
        Import existing = state.importOf(importId);
        if (existing != null && existing.published()) {
            throw new Rejected("import " + importId + " was published already");
        }
        if (existing != null && !existing.expired(now)) {
            throw new Rejected("import " + importId + " is under way");
        }
        List<Import> open = state.openImports().stream().filter(i -> !i.expired(now)).toList();
        if (open.stream().filter(i -> i.author().equals(author.id())).count() >= Import.MAX_OPEN_PER_AUTHOR) {
            throw new Rejected("at most " + Import.MAX_OPEN_PER_AUTHOR + " imports of one author are open at a time");
        }
        if (open.size() >= Import.MAX_OPEN) {
            throw new Rejected("at most " + Import.MAX_OPEN + " imports are open at a time on the network; try again later");
        }
        Import started = new Import(importId, patient.id(), author.id(), bundleHash, declared, 0, 0, now, now, 0);
        return () -> {
            for (Import i : state.openImports()) {
                if (i.expired(now)) {
                    state.discardImport(i);
                }
            }
            state.putImport(started);
        };
    }

    /**
     * The change staging a record (checked as any record by {@link RecordContracts}) in an open import of the
     * same author and patient, within the import's declared count and byte bound.
     */
    Runnable stage(String importId, User author, ClinicalRecord record, Map<String, byte[]> wraps, long now) {
        Import i = openImport(importId, author, now);
        if (!i.patient().equals(record.patient())) {
            throw new Rejected("import " + importId + " holds records of " + i.patient() + " only");
        }
        if (i.staged() >= i.declared()) {
            throw new Rejected("import " + importId + " declared " + i.declared() + " records, all staged already");
        }
        if (i.bytes() + record.size() > Import.MAX_BYTES) {
            throw new Rejected("an import holds at most " + (Import.MAX_BYTES >> 20) + " MiB of records");
        }
        StagedRecord s = new StagedRecord(importId, i.staged(), record, new TreeMap<>(wraps));
        return () -> {
            state.stage(s);
            state.putImport(i.staged(record.size(), now));
        };
    }

    /**
     * Publishes an import whose declared records are all staged. The author's basis for every category, and
     * every reader's a key is wrapped for, is checked again as of now: a consent revoked since staging stops
     * the publication (the import can then only be aborted or expire).
     */
    Runnable publish(SignedTransaction tx, long now) {
        User author = parties.author(tx);
        Import i = openImport(Bodies.id(tx.body(), "importId"), author, now);
        if (i.staged() != i.declared()) {
            throw new Rejected("import " + i.id() + " staged " + i.staged() + " of its " + i.declared() + " records");
        }
        List<StagedRecord> staged = state.stagedOf(i.id());
        Map<String, Boolean> mayRead = new HashMap<>();
        boolean own = author.id().equals(i.patient());
        for (StagedRecord s : staged) {
            Category c = s.record().category();
            if (!own && mayRead.computeIfAbsent(author.id() + "/" + c, k -> access.basis(author, i.patient(), c, now) != null)
                    .equals(Boolean.FALSE)) {
                throw new Rejected(AccessPolicy.refusal(author, c, i.patient()));
            }
            for (String reader : s.wraps().keySet()) {
                if (reader.startsWith(Consent.ORGANISATION) || reader.equals(author.id())) {
                    continue;
                }
                boolean may = mayRead.computeIfAbsent(reader + "/" + c, k -> {
                    User r = state.user(reader);
                    return r != null && access.basis(r, i.patient(), c, now) != null;
                });
                if (!may) {
                    throw new Rejected("a staged record's key is wrapped for " + reader + ", who may not read it now");
                }
            }
        }
        return () -> state.publishImport(i, now);
    }

    /** Discards an open import and its staged records: its author or its patient may. */
    Runnable abort(SignedTransaction tx, long now) {
        User author = parties.author(tx);
        String importId = Bodies.id(tx.body(), "importId");
        Import i = state.importOf(importId);
        if (i == null || i.published()) {
            throw new Rejected("no open import " + importId);
        }
        if (!author.id().equals(i.author()) && !author.id().equals(i.patient())) {
            throw new Rejected("only the author or the patient of import " + importId + " aborts it");
        }
        return () -> state.discardImport(i);
    }

    private Import openImport(String importId, User author, long now) {
        Import i = state.importOf(importId);
        if (i == null || i.published()) {
            throw new Rejected("no open import " + importId);
        }
        if (!i.author().equals(author.id())) {
            throw new Rejected("import " + importId + " is " + i.author() + "'s");
        }
        if (i.expired(now)) {
            throw new Rejected("import " + importId + " expired (nothing staged for " + Import.EXPIRY_MILLIS / 60_000
                    + " minutes); start it again");
        }
        return i;
    }
}

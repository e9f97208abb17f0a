package org.ehrledger.ejb.application.contracts;

import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;

/**
 * Adding a clinical record (a note, an observation, a prescription, the patient's demographics): written by
 * the patient or a practitioner the {@link AccessPolicy} lets write that category, committed to its
 * ciphertext by hash and size, its key wrapped for the patient and only for readers the policy admits.
 * Part of {@link Contracts}: every check before the returned change.
 */
final class RecordContracts {

    private final WorldState state;
    private final Parties parties;
    private final AccessPolicy access;
    private final ImportContracts imports;

    RecordContracts(WorldState state, Parties parties, AccessPolicy access, ImportContracts imports) {
        this.state = state;
        this.parties = parties;
        this.access = access;
        this.imports = imports;
    }

    /**
     * A record of the body's category, or of {@code forced} (demographics, prescriptions) when not null; staged
     * in an open import instead of added when the body names one ({@code importId}, see {@link ImportContracts}).
     */
    Runnable addRecord(SignedTransaction tx, long now, Category forced) {
        User author = parties.author(tx);
        Fields b = tx.body();
        String recordId = Bodies.id(b, "recordId");
        User patient = parties.patient(b.string("patient"));
        Category category = forced != null ? forced : Bodies.category(b.string("category"));
        byte[] hash = b.bytes("contentHash");
        long size = b.number("size");
        String importId = b.has("importId") ? Bodies.id(b, "importId") : null;
        if (state.record(recordId) != null || state.stagedRecord(recordId) != null) {
            throw new Rejected("record " + recordId + " already exists");
        }
        if (hash.length != Digest.LENGTH || size < 0 || size > ClinicalRecord.MAX_BYTES) {
            throw new Rejected("a record needs a SHA-256 content hash and a size up to " + ClinicalRecord.MAX_BYTES + " bytes");
        }
        if (forced == Category.PRESCRIPTION && author.role() != Role.PRACTITIONER) {
            throw new Rejected("only practitioners prescribe");
        }
        if (category == Category.DEMOGRAPHICS && !author.id().equals(patient.id())) {
            throw new Rejected("only the patient updates their demographics");
        }
        boolean own = author.id().equals(patient.id());
        if (own && category == Category.PRESCRIPTION) {
            throw new Rejected("patients do not prescribe for themselves");
        }
        if (!own && (author.role() != Role.PRACTITIONER || access.basis(author, patient.id(), category, now) == null)) {
            throw new Rejected(AccessPolicy.refusal(author, category, patient.id()));
        }
        Map<String, byte[]> wraps = Bodies.readerWraps(b.strings("wraps"));
        if (!wraps.containsKey(patient.id())) {
            throw new Rejected("the record key must be wrapped for the patient");
        }
        for (String reader : wraps.keySet()) {
            if (reader.startsWith(Consent.ORGANISATION)) {
                Organisation home = state.organisation(patient.organisation());
                if (!reader.equals(home.custodian()) || home.custodianKey() == null) {
                    throw new Rejected("the record key is wrapped for " + reader
                            + "; only the custodian of the patient's organisation holds a wrap");
                }
                continue;
            }
            User r = state.user(reader);
            if (r == null || (!reader.equals(author.id()) && access.basis(r, patient.id(), category, now) == null)) {
                throw new Rejected("the record key is wrapped for " + reader + ", who may not read it");
            }
        }
        ClinicalRecord record = new ClinicalRecord(recordId, patient.id(), category, author.id(), Digest.of(hash), size, now,
                false);
        if (importId != null) {
            if (category == Category.DEMOGRAPHICS) {
                throw new Rejected("an import stages clinical records, not demographics");
            }
            return imports.stage(importId, author, record, wraps, now);
        }
        return () -> {
            state.addRecord(record);
            state.putNewWraps(recordId, wraps);
        };
    }
}

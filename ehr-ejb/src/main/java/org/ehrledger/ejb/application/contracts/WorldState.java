package org.ehrledger.ejb.application.contracts;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.Billed;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.record.Import;
import org.ehrledger.ejb.domain.model.record.StagedRecord;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Recovery;
import org.ehrledger.ejb.domain.model.registry.User;

/**
 * The ledger state the contracts read and change, and the services read: registry, records and their key
 * wraps, consents, break-glass grants, the access log, billing, the transactions already seen, emergency
 * and admission votes, identity recoveries. Typed values over the rows of a {@link StateStore} (in memory,
 * or relational tables on a replica), so the heap does not grow with the chain.
 *
 * <p>Every change updates the state commitment incrementally ({@link StateCommitment}, one accumulator per
 * table): {@link #digest()} is what the next block header carries. Every query is ordered, so every
 * replica iterates alike.
 *
 * <p>These are the facts the {@link AccessPolicy} decides from: who may read what is {@link #access()}'s
 * answer, never this class's.
 */
public final class WorldState implements AccessPolicy.Facts {

    /** Administrators of distinct organisations needed to declare or end the emergency state (network policy). */
    static final int EMERGENCY_QUORUM = 2;
    private static final String EMERGENCY_KEY = "current";
    private static final int ALL = CommittedRows.ALL;

    /** One administrator's pending vote to declare or end the emergency state. */
    public record EmergencyVote(long at, String admin, long minutes, String reason) {
    }

    private final CommittedRows rows;
    private final AccessPolicy access = new AccessPolicy(this);
    /**
     * Records erased by crypto-shredding, and staged records discarded, since the last {@link #takeErasures}:
     * the off-chain store destroys their ciphertext.
     */
    private final List<String> erasures = new ArrayList<>();

    /** An empty state in memory. */
    public WorldState() {
        this(StateStore.inMemory());
    }

    /** The state held in {@code store}. */
    public WorldState(StateStore store) {
        this.rows = new CommittedRows(store);
    }

    /** Who may read what, decided from this state. */
    public AccessPolicy access() {
        return access;
    }

    // ---- rows and the commitment -------------------------------------------------------------

    /** Reads ahead the executed-transaction marks and records a block's transactions will look up. */
    public void prefetch(java.util.Collection<Digest> transactions, java.util.Collection<String> recordIds) {
        rows.store().prefetch(StateTable.SEEN_TRANSACTION, transactions.stream().map(Digest::hex).toList());
        rows.store().prefetch(StateTable.RECORD, recordIds);
        rows.store().prefetch(StateTable.STAGED_RECORD, recordIds);
    }

    /** The state digest a block header carries after the changes so far ({@link StateCommitment}). */
    public Digest digest() {
        return rows.digest();
    }

    /** Makes the changes so far durable as the state after block {@code height} (with the block, atomically). */
    public void endBlock(long height) {
        rows.endBlock(height);
    }

    /**
     * Checks every stored row against its digest and columns, and every table against its stored
     * accumulator, a page at a time (O(state), no block replayed). Returns what is wrong, naming the table
     * and key where a row was altered, or null if the rows are as the ledger wrote them.
     */
    public String verifyRows() {
        return rows.verifyRows();
    }

    /** {@link #verifyRows} for one table: its rows one by one, then their sum against its stored accumulator. */
    public String verifyTable(StateTable table) {
        return rows.verifyTable(table);
    }

    /** The problem reported for a table whose rows do not add up to its stored accumulator. */
    public static String notAddingUp(StateTable table) {
        return CommittedRows.notAddingUp(table);
    }

    /** What is wrong with one stored row, naming its table and key, or null (see {@link #verifyRows}). */
    public static String checkRow(StateTable table, StateStore.Row row) {
        return CommittedRows.checkRow(table, row);
    }

    /** Notes the rows this state's changes touch in {@code watch} while tables are checked (null: nowhere). */
    public void watch(StateWatch watch) {
        rows.watch(watch);
    }

    // ---- the transactions already executed ---------------------------------------------------

    /** Whether a transaction (by the SHA-256 of its bytes) was already executed, accepted or refused. */
    public boolean seen(Digest transaction) {
        return rows.store().get(StateTable.SEEN_TRANSACTION, transaction.hex()) != null;
    }

    void markSeen(Digest transaction) {
        rows.insert(StateTable.SEEN_TRANSACTION, transaction.hex(), new byte[0]);
    }

    // ---- registry ----------------------------------------------------------------------------

    /** A user, or null. */
    @Override
    public User user(String id) {
        return rows.get(StateTable.USER, id, StateRows::user);
    }

    void putUser(User u) {
        rows.put(StateTable.USER, u.id(), StateRows.user(u));
    }

    /** Whether another user than {@code userId} holds either key. */
    boolean keysInUse(byte[] signing, byte[] encryption, String userId) {
        for (int index = 2; index <= 3; index++) {
            for (StateStore.Row r : rows.find(StateTable.USER, index, StateRows.hex(index == 2 ? signing : encryption), 0, 2)) {
                if (!r.key().equals(userId)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Number of clinical records on chain (erased ones included: their metadata stays). */
    public long recordCount() {
        return rows.store().count(StateTable.RECORD);
    }

    /** Number of member organisations. */
    public int organisationCount() {
        return (int) rows.store().count(StateTable.ORGANISATION);
    }

    /** An organisation, or null. */
    @Override
    public Organisation organisation(String id) {
        return rows.get(StateTable.ORGANISATION, id, StateRows::organisation);
    }

    void putOrganisation(Organisation o) {
        rows.put(StateTable.ORGANISATION, o.id(), StateRows.organisation(o));
    }

    /** Member organisations, in id order. */
    public List<Organisation> organisations() {
        return StateRows.values(rows.store().scan(StateTable.ORGANISATION, "", ALL), StateRows::organisation);
    }

    /** Users of an organisation, in id order. */
    public List<User> usersOf(String organisation) {
        List<User> out = new ArrayList<>(StateRows.values(rows.find(StateTable.USER, 1, organisation), StateRows::user));
        out.sort(java.util.Comparator.comparing(User::id));
        return out;
    }

    // ---- records and key wraps ---------------------------------------------------------------

    /** A record, or null. */
    public ClinicalRecord record(String id) {
        return rows.get(StateTable.RECORD, id, StateRows::record);
    }

    /** Adds a new record (the caller checked that its id is free). */
    void addRecord(ClinicalRecord record) {
        rows.insert(StateTable.RECORD, record.id(), StateRows.record(record));
    }

    /** Replaces a record (an erasure). */
    void putRecord(ClinicalRecord record) {
        rows.put(StateTable.RECORD, record.id(), StateRows.record(record));
    }

    /** Records of a patient, oldest first (by consensus time, then id). */
    public List<ClinicalRecord> recordsOf(String patient) {
        return StateRows.values(rows.find(StateTable.RECORD, 1, patient), StateRows::record);
    }

    /** A page of a patient's records, oldest first: {@code limit} from {@code offset}. */
    public List<ClinicalRecord> recordsOf(String patient, int offset, int limit) {
        return StateRows.values(rows.find(StateTable.RECORD, 1, patient, offset, limit), StateRows::record);
    }

    /**
     * A page of a patient's records in {@code categories} created in [{@code from}, {@code to}), newest first (by
     * consensus time, then id, both descending), after the record {@code after} in that order (null: from the
     * newest), at most {@code limit}; erased records too if {@code erasedToo}. Read through the indexes a page at a
     * time: what it costs is the page's, not the patient's whole history.
     */
    public List<ClinicalRecord> recordsOf(String patient, Set<Category> categories, boolean erasedToo, long from, long to,
                                          ClinicalRecord after, int limit) {
        long afterOrder = after == null ? 0 : after.createdAt();
        String afterKey = after == null ? null : after.id();
        List<StateStore.Row> found;
        if (erasedToo && categories.containsAll(EnumSet.allOf(Category.class))) {
            found = rows.store().findNewestFirst(StateTable.RECORD, 1, List.of(patient), from, to, afterOrder, afterKey, limit);
        } else {
            List<String> values = new ArrayList<>();
            for (Category c : categories) {
                values.add(StateRows.patientCategory(patient, c, false));
                if (erasedToo) {
                    values.add(StateRows.patientCategory(patient, c, true));
                }
            }
            found = values.isEmpty() ? List.of()
                    : rows.store().findNewestFirst(StateTable.RECORD, 2, values, from, to, afterOrder, afterKey, limit);
        }
        return StateRows.values(found, StateRows::record);
    }

    /** Whether a patient has a record (not erased) in a category: one index probe. */
    public boolean hasRecords(String patient, Category category) {
        return !rows.store().findNewestFirst(StateTable.RECORD, 2, List.of(StateRows.patientCategory(patient, category, false)),
                Long.MIN_VALUE, Long.MAX_VALUE, 0, null, 1).isEmpty();
    }

    /** The readers a record's key is wrapped for, with the wrapped keys, in reader order. */
    SortedMap<String, byte[]> wrapsOf(String recordId) {
        TreeMap<String, byte[]> out = new TreeMap<>();
        for (StateStore.Row r : rows.find(StateTable.KEY_WRAP, 1, recordId)) {
            out.put(r.index2(), r.body());
        }
        return out;
    }

    /** The readers a record's key is wrapped for. */
    public Set<String> readersOf(String recordId) {
        return Set.copyOf(wrapsOf(recordId).keySet());
    }

    /** The wrapped key of a record for a reader, or null. */
    public byte[] wrappedKey(String recordId, String reader) {
        StateStore.Row r = rows.store().get(StateTable.KEY_WRAP, recordId + "/" + reader);
        return r == null ? null : r.body().clone();
    }

    /** The wrapped keys of records for one reader, by record id (records without one are absent). */
    public Map<String, byte[]> wrappedKeys(java.util.Collection<String> recordIds, String reader) {
        Map<String, String> byKey = new java.util.HashMap<>();
        for (String id : recordIds) {
            byKey.put(id + "/" + reader, id);
        }
        Map<String, byte[]> out = new java.util.HashMap<>();
        rows.store().getAll(StateTable.KEY_WRAP, byKey.keySet()).forEach((k, r) -> out.put(byKey.get(k), r.body().clone()));
        return out;
    }

    void putWrap(String recordId, String reader, byte[] wrapped) {
        rows.put(StateTable.KEY_WRAP, recordId + "/" + reader, wrapped.clone());
    }

    /** Adds the wraps of a new record. */
    void putNewWraps(String recordId, Map<String, byte[]> wraps) {
        wraps.forEach((reader, wrapped) -> rows.insert(StateTable.KEY_WRAP, recordId + "/" + reader, wrapped.clone()));
    }

    void removeWrap(String recordId, String reader) {
        rows.delete(StateTable.KEY_WRAP, recordId + "/" + reader);
    }

    void removeWrapsOfRecord(String recordId) {
        for (StateStore.Row r : rows.find(StateTable.KEY_WRAP, 1, recordId)) {
            rows.delete(StateTable.KEY_WRAP, r);
        }
    }

    void removeWrapsOfReader(String reader) {
        for (StateStore.Row r : rows.find(StateTable.KEY_WRAP, 2, reader)) {
            rows.delete(StateTable.KEY_WRAP, r);
        }
    }

    /** Up to {@code max} records (not erased) whose key is wrapped for a reader, in id order. */
    public List<String> recordsWrappedFor(String reader, int max) {
        List<String> out = new ArrayList<>();
        for (StateStore.Row r : rows.find(StateTable.KEY_WRAP, 2, reader, 0, max)) {
            out.add(r.index1());
        }
        return out;
    }

    void erased(String recordId) {
        erasures.add(recordId);
    }

    /** The records erased since the last call, for the off-chain store to destroy their ciphertext. */
    public List<String> takeErasures() {
        List<String> out = List.copyOf(erasures);
        erasures.clear();
        return out;
    }

    // ---- whole-history imports (staged records) ----------------------------------------------

    /** An import (open or published), or null. */
    public Import importOf(String id) {
        return rows.get(StateTable.IMPORT, id, StateRows::importOf);
    }

    void putImport(Import i) {
        rows.put(StateTable.IMPORT, i.id(), StateRows.importOf(i));
    }

    /** The open imports (expired ones included until they are discarded), in start order. */
    public List<Import> openImports() {
        return StateRows.values(rows.find(StateTable.IMPORT, 3, Import.OPEN), StateRows::importOf);
    }

    /** A staged record, or null (a staged record is never a {@link #record}). */
    public StagedRecord stagedRecord(String recordId) {
        return rows.get(StateTable.STAGED_RECORD, recordId, StateRows::staged);
    }

    void stage(StagedRecord s) {
        rows.insert(StateTable.STAGED_RECORD, s.record().id(), StateRows.staged(s));
    }

    /** The records an import staged, in sequence. */
    List<StagedRecord> stagedOf(String importId) {
        return StateRows.values(rows.find(StateTable.STAGED_RECORD, 1, importId), StateRows::staged);
    }

    /** Deletes an open import with its staged records; the off-chain store destroys their ciphertext. */
    void discardImport(Import i) {
        for (StateStore.Row r : rows.find(StateTable.STAGED_RECORD, 1, i.id())) {
            rows.delete(StateTable.STAGED_RECORD, r);
            erasures.add(r.key());
        }
        rows.delete(StateTable.IMPORT, i.id());
    }

    /** Moves an import's staged records to the records, all created at {@code now}, and marks it published. */
    void publishImport(Import i, long now) {
        for (StateStore.Row r : rows.find(StateTable.STAGED_RECORD, 1, i.id())) {
            StagedRecord s = StateRows.staged(r.body());
            ClinicalRecord c = s.record();
            addRecord(new ClinicalRecord(c.id(), c.patient(), c.category(), c.author(), c.contentHash(), c.size(), now, false));
            putNewWraps(c.id(), s.wraps());
            rows.delete(StateTable.STAGED_RECORD, r);
        }
        putImport(i.publish(now));
    }

    // ---- consents, break-glass, the access log -----------------------------------------------

    /** A consent, or null. */
    public Consent consent(String id) {
        return rows.get(StateTable.CONSENT, id, StateRows::consent);
    }

    /** Adds a consent, or replaces it (a revocation). */
    void putConsent(Consent consent) {
        rows.put(StateTable.CONSENT, consent.id(), StateRows.consent(consent));
    }

    /** A patient's consents (active, expired and revoked), in id order. */
    @Override
    public List<Consent> consentsOf(String patient) {
        return StateRows.values(rows.find(StateTable.CONSENT, 1, patient), StateRows::consent);
    }

    /** The consents naming a grantee (a user id, or {@code org:<id>}): active, expired and revoked. */
    @Override
    public List<Consent> consentsNaming(String grantee) {
        return StateRows.values(rows.find(StateTable.CONSENT, 2, grantee), StateRows::consent);
    }

    void addBreakGlass(String key, BreakGlass grant) {
        rows.insert(StateTable.BREAK_GLASS, key, StateRows.breakGlass(grant));
    }

    /** Every break-glass grant opened for a patient, open or closed. */
    @Override
    public List<BreakGlass> breakGlassOf(String patient) {
        return StateRows.values(rows.find(StateTable.BREAK_GLASS, 1, patient), StateRows::breakGlass);
    }

    /** Appends an access event (keyed by the id of the transaction that recorded it) to its patient's log. */
    void logAccess(String key, AccessEvent event) {
        rows.insert(StateTable.ACCESS_EVENT, key, StateRows.accessEvent(event));
    }

    /** Every read of a patient's clinical content, oldest first. */
    public List<AccessEvent> accessLog(String patient) {
        return StateRows.values(rows.find(StateTable.ACCESS_EVENT, 1, patient), StateRows::accessEvent);
    }

    /** A page of a patient's access log, oldest first: {@code limit} events from {@code offset}. */
    public List<AccessEvent> accessLog(String patient, int offset, int limit) {
        return StateRows.values(rows.find(StateTable.ACCESS_EVENT, 1, patient, offset, limit), StateRows::accessEvent);
    }

    // ---- billing -----------------------------------------------------------------------------

    /** A record's billing acknowledgement, or null. */
    public Billed billed(String recordId) {
        return rows.get(StateTable.BILLED, recordId, StateRows::billed);
    }

    void putBilled(Billed b) {
        rows.insert(StateTable.BILLED, b.recordId(), StateRows.billed(b));
    }

    // ---- emergency state and admissions ------------------------------------------------------

    /** The emergency state. */
    @Override
    public EmergencyState emergency() {
        EmergencyState e = rows.get(StateTable.EMERGENCY_STATE, EMERGENCY_KEY, StateRows::emergency);
        return e == null ? EmergencyState.NONE : e;
    }

    void emergency(EmergencyState e) {
        if (e.equals(EmergencyState.NONE)) {
            rows.delete(StateTable.EMERGENCY_STATE, EMERGENCY_KEY);
        } else {
            rows.put(StateTable.EMERGENCY_STATE, EMERGENCY_KEY, StateRows.emergency(e));
        }
    }

    /** Every pending vote of one kind, lapsed or not: organisation to its administrator's vote. */
    TreeMap<String, EmergencyVote> emergencyVotesHeld(String kind) {
        TreeMap<String, EmergencyVote> out = new TreeMap<>();
        for (StateStore.Row r : rows.find(StateTable.EMERGENCY_VOTE, 1, kind)) {
            out.put(StateRows.after(r.key()), StateRows.emergencyVote(r.body()));
        }
        return out;
    }

    void putEmergencyVote(String kind, String organisation, EmergencyVote vote) {
        rows.put(StateTable.EMERGENCY_VOTE, kind + "/" + organisation, StateRows.emergencyVote(vote));
    }

    void removeEmergencyVote(String kind, String organisation) {
        rows.delete(StateTable.EMERGENCY_VOTE, kind + "/" + organisation);
    }

    void clearEmergencyVotes() {
        for (String kind : List.of("DECLARE", "END")) {
            for (StateStore.Row r : rows.find(StateTable.EMERGENCY_VOTE, 1, kind)) {
                rows.delete(StateTable.EMERGENCY_VOTE, r);
            }
        }
    }

    /**
     * Pending emergency votes of one kind ({@code "DECLARE"} or {@code "END"}): organisation to its
     * administrator's vote, lapsed votes (older than the vote window at {@code now}) left out.
     */
    public SortedMap<String, EmergencyVote> emergencyVotes(String kind, long now) {
        TreeMap<String, EmergencyVote> out = emergencyVotesHeld(kind);
        out.values().removeIf(vote -> now - vote.at() > EmergencyState.VOTE_WINDOW_MILLIS);
        return out;
    }

    /** Administrators of distinct organisations needed to declare or end the emergency state. */
    public int emergencyQuorum() {
        return EMERGENCY_QUORUM;
    }

    /** Pending proposals to admit {@code organisation}: proposing organisation to the digest of its proposal. */
    TreeMap<String, Digest> admissionVotesHeld(String organisation) {
        TreeMap<String, Digest> out = new TreeMap<>();
        for (StateStore.Row r : rows.find(StateTable.ADMISSION_VOTE, 1, organisation)) {
            out.put(StateRows.after(r.key()), Digest.of(r.body()));
        }
        return out;
    }

    /** Organisations that proposed admitting {@code organisation} so far (pending only). */
    public Set<String> admissionVotes(String organisation) {
        return java.util.Collections.unmodifiableSortedSet(new TreeSet<>(admissionVotesHeld(organisation).keySet()));
    }

    void putAdmissionVote(String organisation, String from, Digest proposal) {
        rows.put(StateTable.ADMISSION_VOTE, organisation + "/" + from, StateRows.digest(proposal));
    }

    void clearAdmissionVotes(String organisation) {
        for (StateStore.Row r : rows.find(StateTable.ADMISSION_VOTE, 1, organisation)) {
            rows.delete(StateTable.ADMISSION_VOTE, r);
        }
    }

    // ---- identity recoveries -----------------------------------------------------------------

    /** The pending recovery of a user's identity, or null. */
    public Recovery pendingRecovery(String userId) {
        return rows.get(StateTable.RECOVERY, userId, StateRows::recovery);
    }

    void putRecovery(Recovery r) {
        rows.put(StateTable.RECOVERY, r.userId(), StateRows.recovery(r));
    }

    void removeRecovery(String userId) {
        rows.delete(StateTable.RECOVERY, userId);
    }

    void addRecovered(Recovery done) {
        rows.put(StateTable.RECOVERED, done.userId() + "/" + done.completedAt(), StateRows.recovery(done));
    }

    /** Pending recoveries of the users of an organisation, by user id (pending recoveries are few). */
    public List<Recovery> pendingRecoveriesOf(String organisation) {
        List<Recovery> out = new ArrayList<>();
        for (Recovery r : StateRows.values(rows.store().scan(StateTable.RECOVERY, "", ALL), StateRows::recovery)) {
            User u = user(r.userId());
            if (u != null && u.organisation().equals(organisation)) {
                out.add(r);
            }
        }
        return out;
    }

    /** The completed recoveries of a user's identity, oldest first. */
    public List<Recovery> recoveriesOf(String userId) {
        return StateRows.values(rows.find(StateTable.RECOVERED, 1, userId), StateRows::recovery);
    }
}

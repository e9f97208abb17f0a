package org.ehrledger.ejb.application.contracts;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

import org.ehrledger.consensus.crypto.Digest;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.Billed;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
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
 */
public final class WorldState {

    /** Rows read per page when a whole table is scanned. */
    static final int PAGE = 512;
    /** Administrators of distinct organisations needed to declare or end the emergency state (network policy). */
    static final int EMERGENCY_QUORUM = 2;
    private static final String EMERGENCY_KEY = "current";
    private static final int ALL = Integer.MAX_VALUE;

    /** One administrator's pending vote to declare or end the emergency state. */
    public record EmergencyVote(long at, String admin, long minutes, String reason) {
    }

    private final StateStore store;
    /** Accumulator per table, loaded on first change (read-only views never load them). */
    private Map<StateTable, byte[]> accumulators;
    private final EnumSet<StateTable> changed = EnumSet.noneOf(StateTable.class);
    /** Records erased by crypto-shredding since the last {@link #takeErasures}, for the off-chain store. */
    private final List<String> erasures = new ArrayList<>();

    /** An empty state in memory. */
    public WorldState() {
        this(StateStore.inMemory());
    }

    /** The state held in {@code store}. */
    public WorldState(StateStore store) {
        this.store = store;
    }

    /** The store of this state's rows. */
    public StateStore store() {
        return store;
    }

    // ---- rows and the commitment -------------------------------------------------------------

    private Map<StateTable, byte[]> accumulators() {
        if (accumulators == null) {
            accumulators = new EnumMap<>(StateTable.class);
            for (StateTable t : StateTable.values()) {
                accumulators.put(t, new byte[StateCommitment.BYTES]);
            }
            accumulators.putAll(store.accumulators());
        }
        return accumulators;
    }

    private <V> V get(StateTable table, String key, Function<byte[], V> decode) {
        StateStore.Row r = store.get(table, key);
        return r == null ? null : decode.apply(r.body());
    }

    private void put(StateTable table, String key, byte[] body) {
        StateStore.Row previous = store.get(table, key);
        StateStore.Row row = StateRows.row(table, key, body);
        if (previous != null && Arrays.equals(previous.body(), body)) {
            return;
        }
        byte[] acc = accumulators().get(table);
        if (previous != null) {
            StateCommitment.apply(acc, previous.digest(), -1);
        }
        StateCommitment.apply(acc, row.digest(), 1);
        changed.add(table);
        store.put(table, row, previous);
    }

    /** Inserts a row known to be new (the caller checked), without reading it first. */
    private void insert(StateTable table, String key, byte[] body) {
        StateStore.Row row = StateRows.row(table, key, body);
        StateCommitment.apply(accumulators().get(table), row.digest(), 1);
        changed.add(table);
        store.put(table, row, null);
    }

    private void delete(StateTable table, StateStore.Row previous) {
        StateCommitment.apply(accumulators().get(table), previous.digest(), -1);
        changed.add(table);
        store.remove(table, previous);
    }

    private void delete(StateTable table, String key) {
        StateStore.Row previous = store.get(table, key);
        if (previous != null) {
            delete(table, previous);
        }
    }

    private List<StateStore.Row> find(StateTable table, int index, String value) {
        return store.find(table, index, value, 0, ALL);
    }

    /** Reads ahead the executed-transaction marks and records a block's transactions will look up. */
    public void prefetch(java.util.Collection<Digest> transactions, java.util.Collection<String> recordIds) {
        store.prefetch(StateTable.SEEN_TRANSACTION, transactions.stream().map(Digest::hex).toList());
        store.prefetch(StateTable.RECORD, recordIds);
    }

    /** The state digest a block header carries after the changes so far ({@link StateCommitment}). */
    public Digest digest() {
        return StateCommitment.digest(StateCommitment.sum(accumulators().values()));
    }

    /** Makes the changes so far durable as the state after block {@code height} (with the block, atomically). */
    public void endBlock(long height) {
        Map<StateTable, byte[]> out = new EnumMap<>(StateTable.class);
        for (StateTable t : changed) {
            out.put(t, accumulators().get(t).clone());
        }
        changed.clear();
        store.endBlock(height, out);
    }

    /**
     * Checks every stored row against its digest and columns, and every table against its stored
     * accumulator, a page at a time (O(state), no block replayed). Returns what is wrong, naming the table
     * and key where a row was altered, or null if the rows are as the ledger wrote them.
     */
    public String verifyRows() {
        Map<StateTable, byte[]> stored = store.accumulators();
        for (StateTable t : StateTable.values()) {
            byte[] acc = new byte[StateCommitment.BYTES];
            String after = "";
            while (true) {
                List<StateStore.Row> page = store.scan(t, after, PAGE);
                for (StateStore.Row r : page) {
                    StateStore.Row expected;
                    try {
                        expected = StateRows.row(t, r.key(), r.body());
                    } catch (RuntimeException e) {
                        return "table " + t.tableName() + ", key " + r.key() + ": the row cannot be read (altered)";
                    }
                    if (!Arrays.equals(expected.digest(), r.digest())) {
                        return "table " + t.tableName() + ", key " + r.key() + ": the row does not match its digest (altered)";
                    }
                    if (!expected.sameColumns(r)) {
                        return "table " + t.tableName() + ", key " + r.key()
                                + ": an indexed column does not match the row (altered)";
                    }
                    StateCommitment.apply(acc, r.digest(), 1);
                    after = r.key();
                }
                store.release();
                if (page.size() < PAGE) {
                    break;
                }
            }
            if (!Arrays.equals(acc, stored.getOrDefault(t, new byte[StateCommitment.BYTES]))) {
                return "table " + t.tableName() + ": its rows do not add up to its stored digest (a row was added, deleted "
                        + "or re-hashed)";
            }
        }
        return null;
    }

    // ---- the transactions already executed ---------------------------------------------------

    /** Whether a transaction (by the SHA-256 of its bytes) was already executed, accepted or refused. */
    public boolean seen(Digest transaction) {
        return store.get(StateTable.SEEN_TRANSACTION, transaction.hex()) != null;
    }

    void markSeen(Digest transaction) {
        insert(StateTable.SEEN_TRANSACTION, transaction.hex(), new byte[0]);
    }

    // ---- registry ----------------------------------------------------------------------------

    /** A user, or null. */
    public User user(String id) {
        return get(StateTable.USER, id, StateRows::user);
    }

    void putUser(User u) {
        put(StateTable.USER, u.id(), StateRows.user(u));
    }

    /** Whether another user than {@code userId} holds either key. */
    boolean keysInUse(byte[] signing, byte[] encryption, String userId) {
        for (int index = 2; index <= 3; index++) {
            for (StateStore.Row r : store.find(StateTable.USER, index, StateRows.hex(index == 2 ? signing : encryption), 0, 2)) {
                if (!r.key().equals(userId)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Number of member organisations. */
    public int organisationCount() {
        return (int) store.count(StateTable.ORGANISATION);
    }

    /** An organisation, or null. */
    public Organisation organisation(String id) {
        return get(StateTable.ORGANISATION, id, StateRows::organisation);
    }

    void putOrganisation(Organisation o) {
        put(StateTable.ORGANISATION, o.id(), StateRows.organisation(o));
    }

    /** Member organisations, in id order. */
    public List<Organisation> organisations() {
        return StateRows.values(store.scan(StateTable.ORGANISATION, "", ALL), StateRows::organisation);
    }

    /** Users of an organisation, in id order. */
    public List<User> usersOf(String organisation) {
        List<User> out = new ArrayList<>(StateRows.values(find(StateTable.USER, 1, organisation), StateRows::user));
        out.sort(java.util.Comparator.comparing(User::id));
        return out;
    }

    // ---- records and key wraps ---------------------------------------------------------------

    /** A record, or null. */
    public ClinicalRecord record(String id) {
        return get(StateTable.RECORD, id, StateRows::record);
    }

    /** Adds a new record (the caller checked that its id is free). */
    void addRecord(ClinicalRecord record) {
        insert(StateTable.RECORD, record.id(), StateRows.record(record));
    }

    /** Replaces a record (an erasure). */
    void putRecord(ClinicalRecord record) {
        put(StateTable.RECORD, record.id(), StateRows.record(record));
    }

    /** Records of a patient, oldest first (by consensus time, then id). */
    public List<ClinicalRecord> recordsOf(String patient) {
        return StateRows.values(find(StateTable.RECORD, 1, patient), StateRows::record);
    }

    /** A page of a patient's records, oldest first: {@code limit} from {@code offset}. */
    public List<ClinicalRecord> recordsOf(String patient, int offset, int limit) {
        return StateRows.values(store.find(StateTable.RECORD, 1, patient, offset, limit), StateRows::record);
    }

    /** The readers a record's key is wrapped for, with the wrapped keys, in reader order. */
    SortedMap<String, byte[]> wrapsOf(String recordId) {
        TreeMap<String, byte[]> out = new TreeMap<>();
        for (StateStore.Row r : find(StateTable.KEY_WRAP, 1, recordId)) {
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
        StateStore.Row r = store.get(StateTable.KEY_WRAP, recordId + "/" + reader);
        return r == null ? null : r.body().clone();
    }

    void putWrap(String recordId, String reader, byte[] wrapped) {
        put(StateTable.KEY_WRAP, recordId + "/" + reader, wrapped.clone());
    }

    /** Adds the wraps of a new record. */
    void putNewWraps(String recordId, Map<String, byte[]> wraps) {
        wraps.forEach((reader, wrapped) -> insert(StateTable.KEY_WRAP, recordId + "/" + reader, wrapped.clone()));
    }

    void removeWrap(String recordId, String reader) {
        delete(StateTable.KEY_WRAP, recordId + "/" + reader);
    }

    void removeWrapsOfRecord(String recordId) {
        for (StateStore.Row r : find(StateTable.KEY_WRAP, 1, recordId)) {
            delete(StateTable.KEY_WRAP, r);
        }
    }

    void removeWrapsOfReader(String reader) {
        for (StateStore.Row r : find(StateTable.KEY_WRAP, 2, reader)) {
            delete(StateTable.KEY_WRAP, r);
        }
    }

    /** Up to {@code max} records (not erased) whose key is wrapped for a reader, in id order. */
    public List<String> recordsWrappedFor(String reader, int max) {
        List<String> out = new ArrayList<>();
        for (StateStore.Row r : store.find(StateTable.KEY_WRAP, 2, reader, 0, max)) {
            out.add(r.index1());
        }
        return out;
    }

    void erased(String recordId) {
        erasures.add(recordId);
    }

    /** Ids of records erased (crypto-shredded) since the last {@link #takeErasures}, in order. */
    public List<String> erasures() {
        return List.copyOf(erasures);
    }

    /** The records erased since the last call, for the off-chain store to destroy their ciphertext. */
    public List<String> takeErasures() {
        List<String> out = List.copyOf(erasures);
        erasures.clear();
        return out;
    }

    // ---- consents, break-glass, the access log -----------------------------------------------

    /** A consent, or null. */
    public Consent consent(String id) {
        return get(StateTable.CONSENT, id, StateRows::consent);
    }

    /** Adds a consent, or replaces it (a revocation). */
    void putConsent(Consent consent) {
        put(StateTable.CONSENT, consent.id(), StateRows.consent(consent));
    }

    /** A patient's consents (active, expired and revoked), in id order. */
    public List<Consent> consentsOf(String patient) {
        return StateRows.values(find(StateTable.CONSENT, 1, patient), StateRows::consent);
    }

    /** Consents in force at {@code now} whose grantee is a user or that user's organisation, in id order. */
    public List<Consent> consentsGrantedTo(String userId, String organisation, long now) {
        TreeMap<String, Consent> out = new TreeMap<>();
        for (String grantee : List.of(userId, Consent.ORGANISATION + organisation)) {
            for (Consent c : StateRows.values(find(StateTable.CONSENT, 2, grantee), StateRows::consent)) {
                if (!c.revoked() && (c.expiresAt() == 0 || now < c.expiresAt())) {
                    out.put(c.id(), c);
                }
            }
        }
        return List.copyOf(out.values());
    }

    void addBreakGlass(String key, BreakGlass grant) {
        insert(StateTable.BREAK_GLASS, key, StateRows.breakGlass(grant));
    }

    /** The practitioner's break-glass grant for a patient open at {@code now} that lasts longest, or null. */
    public BreakGlass openBreakGlass(String practitioner, String patient, long now) {
        BreakGlass best = null;
        for (BreakGlass g : StateRows.values(find(StateTable.BREAK_GLASS, 1, patient), StateRows::breakGlass)) {
            if (g.practitioner().equals(practitioner) && g.openAt(now) && (best == null || g.until() > best.until())) {
                best = g;
            }
        }
        return best;
    }

    /** Appends an access event (keyed by the id of the transaction that recorded it) to its patient's log. */
    void logAccess(String key, AccessEvent event) {
        insert(StateTable.ACCESS_EVENT, key, StateRows.accessEvent(event));
    }

    /** Every read of a patient's clinical content, oldest first. */
    public List<AccessEvent> accessLog(String patient) {
        return StateRows.values(find(StateTable.ACCESS_EVENT, 1, patient), StateRows::accessEvent);
    }

    /** A page of a patient's access log, oldest first: {@code limit} events from {@code offset}. */
    public List<AccessEvent> accessLog(String patient, int offset, int limit) {
        return StateRows.values(store.find(StateTable.ACCESS_EVENT, 1, patient, offset, limit), StateRows::accessEvent);
    }

    /** Why a user may read a category of a patient's record at {@code now}, or null (the contracts' rule). */
    public AccessBasis accessBasis(String reader, String patient, Category category, long now) {
        return new Contracts(this).accessBasis(reader, patient, category, now);
    }

    // ---- billing -----------------------------------------------------------------------------

    /** A record's billing acknowledgement, or null. */
    public Billed billed(String recordId) {
        return get(StateTable.BILLED, recordId, StateRows::billed);
    }

    void putBilled(Billed b) {
        insert(StateTable.BILLED, b.recordId(), StateRows.billed(b));
    }

    // ---- emergency state and admissions ------------------------------------------------------

    /** The emergency state. */
    public EmergencyState emergency() {
        EmergencyState e = get(StateTable.EMERGENCY_STATE, EMERGENCY_KEY, StateRows::emergency);
        return e == null ? EmergencyState.NONE : e;
    }

    void emergency(EmergencyState e) {
        if (e.equals(EmergencyState.NONE)) {
            delete(StateTable.EMERGENCY_STATE, EMERGENCY_KEY);
        } else {
            put(StateTable.EMERGENCY_STATE, EMERGENCY_KEY, StateRows.emergency(e));
        }
    }

    /** Every pending vote of one kind, lapsed or not: organisation to its administrator's vote. */
    TreeMap<String, EmergencyVote> emergencyVotesHeld(String kind) {
        TreeMap<String, EmergencyVote> out = new TreeMap<>();
        for (StateStore.Row r : find(StateTable.EMERGENCY_VOTE, 1, kind)) {
            out.put(StateRows.after(r.key()), StateRows.emergencyVote(r.body()));
        }
        return out;
    }

    void putEmergencyVote(String kind, String organisation, EmergencyVote vote) {
        put(StateTable.EMERGENCY_VOTE, kind + "/" + organisation, StateRows.emergencyVote(vote));
    }

    void removeEmergencyVote(String kind, String organisation) {
        delete(StateTable.EMERGENCY_VOTE, kind + "/" + organisation);
    }

    void clearEmergencyVotes() {
        for (String kind : List.of("DECLARE", "END")) {
            for (StateStore.Row r : find(StateTable.EMERGENCY_VOTE, 1, kind)) {
                delete(StateTable.EMERGENCY_VOTE, r);
            }
        }
    }

    /**
     * Pending emergency votes of one kind ({@code "DECLARE"} or {@code "END"}): organisation to its
     * administrator's vote, lapsed votes (older than the vote window at {@code now}) left out.
     */
    public SortedMap<String, EmergencyVote> emergencyVotes(String kind, long now) {
        TreeMap<String, EmergencyVote> out = emergencyVotesHeld(kind);
        out.values().removeIf(vote -> now - vote.at() > Contracts.EMERGENCY_VOTE_WINDOW_MILLIS);
        return out;
    }

    /** Administrators of distinct organisations needed to declare or end the emergency state. */
    public int emergencyQuorum() {
        return EMERGENCY_QUORUM;
    }

    /** Pending proposals to admit {@code organisation}: proposing organisation to the digest of its proposal. */
    TreeMap<String, Digest> admissionVotesHeld(String organisation) {
        TreeMap<String, Digest> out = new TreeMap<>();
        for (StateStore.Row r : find(StateTable.ADMISSION_VOTE, 1, organisation)) {
            out.put(StateRows.after(r.key()), Digest.of(r.body()));
        }
        return out;
    }

    /** Organisations that proposed admitting {@code organisation} so far (pending only). */
    public Set<String> admissionVotes(String organisation) {
        return java.util.Collections.unmodifiableSortedSet(new TreeSet<>(admissionVotesHeld(organisation).keySet()));
    }

    void putAdmissionVote(String organisation, String from, Digest proposal) {
        put(StateTable.ADMISSION_VOTE, organisation + "/" + from, StateRows.digest(proposal));
    }

    void clearAdmissionVotes(String organisation) {
        for (StateStore.Row r : find(StateTable.ADMISSION_VOTE, 1, organisation)) {
            delete(StateTable.ADMISSION_VOTE, r);
        }
    }

    // ---- identity recoveries -----------------------------------------------------------------

    /** The pending recovery of a user's identity, or null. */
    public Recovery pendingRecovery(String userId) {
        return get(StateTable.RECOVERY, userId, StateRows::recovery);
    }

    void putRecovery(Recovery r) {
        put(StateTable.RECOVERY, r.userId(), StateRows.recovery(r));
    }

    void removeRecovery(String userId) {
        delete(StateTable.RECOVERY, userId);
    }

    void addRecovered(Recovery done) {
        put(StateTable.RECOVERED, done.userId() + "/" + done.completedAt(), StateRows.recovery(done));
    }

    /** Pending recoveries of the users of an organisation, by user id (pending recoveries are few). */
    public List<Recovery> pendingRecoveriesOf(String organisation) {
        List<Recovery> out = new ArrayList<>();
        for (Recovery r : StateRows.values(store.scan(StateTable.RECOVERY, "", ALL), StateRows::recovery)) {
            User u = user(r.userId());
            if (u != null && u.organisation().equals(organisation)) {
                out.add(r);
            }
        }
        return out;
    }

    /** The completed recoveries of a user's identity, oldest first. */
    public List<Recovery> recoveriesOf(String userId) {
        return StateRows.values(find(StateTable.RECOVERED, 1, userId), StateRows::recovery);
    }
}

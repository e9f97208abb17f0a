package org.ehrledger.ejb.application.contracts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.crypto.Digest;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.User;

/**
 * The ledger state the contracts read and change: registry, records and their key wraps, consents,
 * break-glass grants, the access log and the transactions already seen. Ordered maps keep every
 * iteration deterministic. This in-memory form backs the contract tests; the JPA form persists the
 * same state.
 */
public final class WorldState {

    final Map<String, Organisation> organisations = new TreeMap<>();
    final Map<String, User> users = new TreeMap<>();
    final Map<String, ClinicalRecord> records = new TreeMap<>();
    /** Patient id to their records in commit order (an index of {@link #records}; see {@link #putRecord}). */
    private final Map<String, List<ClinicalRecord>> recordsByPatient = new HashMap<>();
    /** Record id to reader id to wrapped data key. */
    final Map<String, TreeMap<String, byte[]>> wraps = new TreeMap<>();
    final Map<String, Consent> consents = new TreeMap<>();
    /** Patient id to their consents in commit order (an index of {@link #consents}; see {@link #putConsent}). */
    private final Map<String, List<Consent>> consentsByPatient = new HashMap<>();
    final List<BreakGlass> breakGlass = new ArrayList<>();
    /** Patient id to their access events (the access log), in commit order. */
    private final Map<String, List<AccessEvent>> accessByPatient = new HashMap<>();
    /** Record id to its billing acknowledgement. */
    final Map<String, org.ehrledger.ejb.domain.model.record.Billed> billed = new TreeMap<>();
    final Set<Digest> seenTransactions = new HashSet<>();
    /** One administrator's pending vote to declare or end the emergency state. */
    public record EmergencyVote(long at, String admin, long minutes, String reason) {
    }

    /** Pending votes: "DECLARE" or "END", then organisation to its administrator's vote. */
    final Map<String, TreeMap<String, EmergencyVote>> emergencyVotes = new TreeMap<>();
    EmergencyState emergency = EmergencyState.NONE;
    /** Pending admissions: organisation id to proposing organisation to the digest of the proposal. */
    final Map<String, TreeMap<String, Digest>> admissionVotes = new TreeMap<>();

    /** Organisations that proposed admitting {@code organisation} so far (pending only). */
    public Set<String> admissionVotes(String organisation) {
        TreeMap<String, Digest> v = admissionVotes.get(organisation);
        return v == null ? Set.of() : java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(v.keySet()));
    }

    /** Pending identity recoveries (requested, or approved and waiting for the person), by user id. */
    final Map<String, org.ehrledger.ejb.domain.model.registry.Recovery> recoveries = new TreeMap<>();
    /** Completed identity recoveries of each user, oldest first. */
    final Map<String, List<org.ehrledger.ejb.domain.model.registry.Recovery>> recovered = new TreeMap<>();

    /** The pending recovery of a user's identity, or null. */
    public org.ehrledger.ejb.domain.model.registry.Recovery pendingRecovery(String userId) {
        return recoveries.get(userId);
    }

    /** Pending recoveries of the users of an organisation, by user id. */
    public List<org.ehrledger.ejb.domain.model.registry.Recovery> pendingRecoveriesOf(String organisation) {
        return recoveries.values().stream().filter(r -> users.get(r.userId()).organisation().equals(organisation)).toList();
    }

    /** The completed recoveries of a user's identity, oldest first. */
    public List<org.ehrledger.ejb.domain.model.registry.Recovery> recoveriesOf(String userId) {
        return List.copyOf(recovered.getOrDefault(userId, List.of()));
    }

    /** Records erased by crypto-shredding, for the off-chain store to delete their ciphertext. */
    final List<String> erasures = new ArrayList<>();
    /** Administrators of distinct organisations needed to declare or end the emergency state (network policy). */
    final int emergencyQuorum = 2;

    /** The emergency state. */
    public EmergencyState emergency() {
        return emergency;
    }


    /** A user, or null. */
    public User user(String id) {
        return users.get(id);
    }

    /** Number of member organisations. */
    public int organisationCount() {
        return organisations.size();
    }

    /** An organisation, or null. */
    public Organisation organisation(String id) {
        return organisations.get(id);
    }

    /** A record, or null. */
    public ClinicalRecord record(String id) {
        return records.get(id);
    }

    /** The readers a record's key is wrapped for. */
    public Set<String> readersOf(String recordId) {
        TreeMap<String, byte[]> w = wraps.get(recordId);
        return w == null ? Set.of() : Set.copyOf(w.keySet());
    }

    /** The wrapped key of a record for a reader, or null. */
    public byte[] wrappedKey(String recordId, String reader) {
        TreeMap<String, byte[]> w = wraps.get(recordId);
        byte[] k = w == null ? null : w.get(reader);
        return k == null ? null : k.clone();
    }

    /** Up to {@code max} records (not erased) whose key is wrapped for a reader, in id order. */
    public List<String> recordsWrappedFor(String reader, int max) {
        List<String> out = new ArrayList<>();
        for (var e : wraps.entrySet()) {
            if (out.size() >= max) {
                break;
            }
            if (e.getValue().containsKey(reader)) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** A consent, or null. */
    public Consent consent(String id) {
        return consents.get(id);
    }

    /** Every read of a patient's clinical content, oldest first. */
    public List<AccessEvent> accessLog(String patient) {
        return List.copyOf(accessByPatient.getOrDefault(patient, List.of()));
    }

    /** Appends an access event to its patient's log. */
    void logAccess(AccessEvent event) {
        accessByPatient.computeIfAbsent(event.patient(), k -> new ArrayList<>()).add(event);
    }

    /** Appends {@code item} to the patient's list of an index, or puts it in the place of {@code previous}. */
    private static <T> void index(Map<String, List<T>> index, String patient, T item, T previous) {
        List<T> mine = index.computeIfAbsent(patient, k -> new ArrayList<>());
        if (previous == null) {
            mine.add(item);
        } else {
            mine.set(mine.indexOf(previous), item);
        }
    }

    /** Adds a record, or replaces it (an erasure) in place, keeping each patient's records in commit order. */
    void putRecord(ClinicalRecord record) {
        index(recordsByPatient, record.patient(), record, records.put(record.id(), record));
    }

    /** Ids of records whose ciphertext must be destroyed (crypto-shredded), in order. */
    public List<String> erasures() {
        return List.copyOf(erasures);
    }

    /**
     * Pending emergency votes of one kind ({@code "DECLARE"} or {@code "END"}): organisation to its
     * administrator's vote, lapsed votes (older than the vote window at {@code now}) left out.
     */
    public java.util.SortedMap<String, EmergencyVote> emergencyVotes(String kind, long now) {
        TreeMap<String, EmergencyVote> out = new TreeMap<>();
        TreeMap<String, EmergencyVote> v = emergencyVotes.get(kind);
        if (v != null) {
            v.forEach((org, vote) -> {
                if (now - vote.at() <= Contracts.EMERGENCY_VOTE_WINDOW_MILLIS) {
                    out.put(org, vote);
                }
            });
        }
        return out;
    }

    /** Administrators of distinct organisations needed to declare or end the emergency state. */
    public int emergencyQuorum() {
        return emergencyQuorum;
    }

    /** Member organisations, in id order. */
    public List<Organisation> organisations() {
        return List.copyOf(organisations.values());
    }

    /** Users of an organisation, in id order. */
    public List<User> usersOf(String organisation) {
        return users.values().stream().filter(u -> u.organisation().equals(organisation)).toList();
    }

    /** A patient's consents (active, expired and revoked), in id order. */
    public List<Consent> consentsOf(String patient) {
        return List.copyOf(consentsByPatient.getOrDefault(patient, List.of()));
    }

    /** The patient's consents as they are held (no copy): for the contracts' checks. */
    List<Consent> consentsHeldFor(String patient) {
        return consentsByPatient.getOrDefault(patient, List.of());
    }

    /** Adds a consent, or replaces it (a revocation) in place. */
    void putConsent(Consent consent) {
        index(consentsByPatient, consent.patient(), consent, consents.put(consent.id(), consent));
    }

    /** Consents in force at {@code now} whose grantee is a user or that user's organisation. */
    public List<Consent> consentsGrantedTo(String userId, String organisation, long now) {
        return consents.values().stream().filter(c -> !c.revoked() && (c.expiresAt() == 0 || now < c.expiresAt())
                && (c.grantee().equals(userId) || c.grantee().equals(Consent.ORGANISATION + organisation))).toList();
    }

    /** The practitioner's break-glass grant for a patient open at {@code now} that lasts longest, or null. */
    public BreakGlass openBreakGlass(String practitioner, String patient, long now) {
        BreakGlass best = null;
        for (BreakGlass g : breakGlass) {
            if (g.practitioner().equals(practitioner) && g.patient().equals(patient) && g.openAt(now)
                    && (best == null || g.until() > best.until())) {
                best = g;
            }
        }
        return best;
    }

    /** Why a user may read a category of a patient's record at {@code now}, or null (the contracts' rule). */
    public org.ehrledger.ejb.domain.model.record.AccessBasis accessBasis(String reader,
            String patient, org.ehrledger.ejb.domain.model.record.Category category, long now) {
        return new Contracts(this).accessBasis(reader, patient, category, now);
    }

    /** A record's billing acknowledgement, or null. */
    public org.ehrledger.ejb.domain.model.record.Billed billed(String recordId) {
        return billed.get(recordId);
    }

    /** Records of a patient, in commit order (oldest first). */
    public List<ClinicalRecord> recordsOf(String patient) {
        return List.copyOf(recordsByPatient.getOrDefault(patient, List.of()));
    }
}

package org.ehrledger.ejb.application.contracts;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MalformedMessageException;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.AccessEvent;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Executes transactions against a {@link WorldState}. Every check happens before the first change, so
 * a rejected transaction changes nothing; the only inputs are the transaction bytes, the state and the
 * consensus timestamp, so every replica reaches the same verdict.
 */
public final class Contracts {

    /**
     * Consensus time (2026-12-01T00:00:00Z) from which break-glass needs a confirmed registration (the
     * two-person rule); earlier break-glass grants replay as they were decided.
     */
    public static final long TWO_PERSON_RULE_SINCE = 1_796_083_200_000L;
    /** How long each step of a recovery (approval, then completion) may wait. */
    public static final long RECOVERY_STEP_MILLIS = 72 * 60 * 60_000L;
    /** Longest break-glass grant. */
    public static final long MAX_BREAK_GLASS_MINUTES = 240;
    /** Largest off-chain ciphertext a record may reference. */
    public static final long MAX_RECORD_BYTES = 64L << 20;

    private final WorldState state;
    private final IdentityContracts identities;
    /** The id (hex SHA-256) of the transaction being executed: the key of the rows it adds to logs. */
    private String currentTx;

    /** Contracts over a state. */
    public Contracts(WorldState state) {
        this.state = state;
        this.identities = new IdentityContracts(state, this);
    }

    /** Executes one ordered transaction without content at consensus time {@code now} (epoch milliseconds). */
    public Outcome execute(byte[] transaction, long now) {
        return execute(transaction, null, now);
    }

    /**
     * Executes one ordered transaction at consensus time {@code now}; {@code content} is the ciphertext a
     * record transaction commits to by hash and size (null for other types).
     */
    public Outcome execute(byte[] transaction, byte[] content, long now) {
        return run(transaction, content, now, false);
    }

    private Outcome run(byte[] transaction, byte[] content, long now, boolean replaying) {
        SignedTransaction tx;
        try {
            tx = SignedTransaction.decode(transaction);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            return Outcome.rejected("malformed transaction: " + e.getMessage());
        }
        Digest id = Digest.sha256(transaction);
        if (state.seen(id)) {
            return Outcome.rejected("replayed transaction " + id);
        }
        Runnable apply;
        currentTx = id.hex();
        try {
            apply = validate(tx, now);
        } catch (Rejected r) {
            state.markSeen(id);
            return Outcome.rejected(r.getMessage());
        } catch (Fields.FieldException e) {
            state.markSeen(id);
            return Outcome.rejected("invalid " + tx.type() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // Defensive: no input may escape as an exception; the reason must not depend on the environment.
            state.markSeen(id);
            return Outcome.rejected("invalid " + tx.type() + ": the transaction could not be processed");
        }
        if (tx.type().carriesContent() && !replaying) {
            // Checked last and not remembered: the content is not signed, so a wrong one must not let
            // anyone burn a victim's signed transaction.
            String problem = contentProblem(tx.body(), content);
            if (problem != null) {
                return Outcome.rejected(CONTENT_REFUSAL + problem);
            }
        }
        state.markSeen(id);
        apply.run();
        return Outcome.ok();
    }

    /** Prefix of every refusal about a record's content (not remembered, reproduced as recorded on replay). */
    public static final String CONTENT_REFUSAL = "record content refused: ";

    /**
     * Re-executes a transaction recorded in a certified block. A recorded content refusal is reproduced
     * as recorded (content may since have been erased); everything else runs through the contracts again.
     */
    public Outcome replay(byte[] transaction, long now, boolean recordedAccepted, String recordedReason) {
        if (!recordedAccepted && recordedReason.startsWith(CONTENT_REFUSAL)) {
            return Outcome.rejected(recordedReason);
        }
        return run(transaction, null, now, true);
    }

    /** Checks everything and returns the change to apply; throws {@link Rejected} otherwise. */
    private Runnable validate(SignedTransaction tx, long now) {
        return switch (tx.type()) {
            case REGISTER_ORGANISATION -> registerOrganisation(tx, now);
            case REGISTER_ADMIN -> registerStaff(tx, now, EnumSet.of(Role.ADMIN));
            case REGISTER_PRACTITIONER -> registerStaff(tx, now, EnumSet.of(Role.PRACTITIONER, Role.BILLING));
            case REGISTER_PATIENT -> registerPatient(tx, now);
            case UPDATE_DEMOGRAPHICS -> addRecord(tx, now, Category.DEMOGRAPHICS);
            case ADD_RECORD -> addRecord(tx, now, null);
            case PRESCRIBE -> addRecord(tx, now, Category.PRESCRIPTION);
            case GRANT_CONSENT -> grantConsent(tx, now);
            case REVOKE_CONSENT -> revokeConsent(tx, now);
            case RECORD_ACCESS -> recordAccess(tx, now);
            case OPEN_BREAK_GLASS -> openBreakGlass(tx, now);
            case DECLARE_EMERGENCY -> emergencyVote(tx, now, true);
            case END_EMERGENCY -> emergencyVote(tx, now, false);
            case ROTATE_KEY -> rotateKey(tx, now);
            case REVOKE_CERTIFICATE -> revokeCertificate(tx);
            case ERASE_RECORD -> eraseRecord(tx);
            case ACKNOWLEDGE_BILLED -> acknowledgeBilled(tx, now);
            case CONFIRM_REGISTRATION -> identities.confirmRegistration(tx);
            case REQUEST_RECOVERY -> identities.requestRecovery(tx, now);
            case APPROVE_RECOVERY -> identities.approveRecovery(tx, now);
            case COMPLETE_RECOVERY -> identities.completeRecovery(tx, now);
        };
    }

    private static String contentProblem(Fields body, byte[] content) {
        if (content == null) {
            return "the record's content must follow the transaction in the same request";
        }
        if (content.length != body.number("size") || !Digest.sha256(content).equals(Digest.of(body.bytes("contentHash")))) {
            return "the content does not match the record's hash and size";
        }
        return null;
    }

    /** Identifiers: 1 to 128 of letters, digits, '.', '_' and '-' (never ':' so no id can pose as "org:<id>"). */
    static String id(Fields b, String name) {
        return checkId(b.string(name), name);
    }

    private static String checkId(String value, String what) {
        if (!value.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new Rejected(what + " must be 1 to 128 letters, digits, '.', '_' or '-'");
        }
        return value;
    }

    // ---- authentication ----------------------------------------------------------------------

    /** The registered, unrevoked author whose key verifies the signature. */
    User author(SignedTransaction tx) {
        User u = state.user(tx.author());
        if (u == null) {
            throw new Rejected("unknown author " + tx.author());
        }
        if (u.revoked()) {
            throw new Rejected("the certificate of " + tx.author() + " is revoked");
        }
        if (u.recovering()) {
            throw new Rejected("the keys of " + tx.author() + " were retired by an approved recovery");
        }
        if (!UserKeys.verifyEd25519(u.signingKey(), tx.signedBytes(), tx.signature())) {
            throw new Rejected("signature does not verify with the registered key of " + tx.author());
        }
        return u;
    }

    private static PublicKey key(String algorithm, byte[] encoded) {
        try {
            return UserKeys.publicKey(algorithm, encoded);
        } catch (CryptoException e) {
            throw new Rejected("not a valid " + algorithm + " public key");
        }
    }

    static void requireSelfSigned(SignedTransaction tx, byte[] signingKey) {
        key("Ed25519", signingKey); // a malformed key is refused as such, before any signature check
        if (!UserKeys.verifyEd25519(signingKey, tx.signedBytes(), tx.signature())) {
            throw new Rejected("signature does not verify with the key being registered");
        }
    }

    /** The certificate must come from the organisation's CA, be valid now and certify exactly this key. */
    private static void requireCertified(byte[] certificate, byte[] caCertificate, byte[] publicKey, long now,
                                         String what, String userId, Role role) {
        X509Certificate cert;
        X509Certificate ca;
        try {
            cert = MembershipCa.parse(certificate);
            ca = MembershipCa.parse(caCertificate);
        } catch (CryptoException e) {
            throw new Rejected(what + ": not a valid certificate");
        }
        if (!MembershipCa.isIssuedBy(cert, ca, Instant.ofEpochMilli(now))) {
            throw new Rejected(what + ": certificate not issued by the organisation's CA, or expired");
        }
        PublicKey certified;
        try {
            certified = cert.getPublicKey();
        } catch (RuntimeException e) {
            certified = null;
        }
        if (certified == null || !Arrays.equals(certified.getEncoded(), publicKey)) {
            throw new Rejected(what + ": certificate is for another key");
        }
        // The certificate names who and what: CN = the user id, OU = the role, and it is no CA.
        if (!(userId.equals(MembershipCa.subjectField(cert, "CN")) && role.name().equals(MembershipCa.subjectField(cert, "OU")))
                || cert.getBasicConstraints() != -1) {
            throw new Rejected(what + ": certificate is not issued to " + userId + " as " + role);
        }
    }

    // ---- registry ----------------------------------------------------------------------------

    private Runnable registerOrganisation(SignedTransaction tx, long now) {
        Fields b = tx.body();
        String orgId = id(b, "organisation");
        String adminId = id(b, "adminId");
        byte[] ca = b.bytes("caCertificate");
        byte[] signing = b.bytes("adminSigningKey");
        byte[] encryption = b.bytes("adminEncryptionKey");
        User proposer = null;
        if (state.organisationCount() == 0) {
            // Genesis: the network's first organisation is registered by its own first administrator.
            if (!tx.author().equals(adminId)) {
                throw new Rejected("the genesis organisation is registered by its first administrator");
            }
            requireSelfSigned(tx, signing);
        } else {
            proposer = author(tx);
            if (proposer.role() != Role.ADMIN) {
                throw new Rejected("only an administrator registers organisations");
            }
        }
        if (state.organisation(orgId) != null) {
            throw new Rejected("organisation " + orgId + " already exists");
        }
        if (state.user(adminId) != null) {
            throw new Rejected("user id " + adminId + " is taken");
        }
        requireCertified(b.bytes("adminSigningCertificate"), ca, signing, now, "administrator signing key", adminId,
                Role.ADMIN);
        requireCertified(b.bytes("adminEncryptionCertificate"), ca, encryption, now, "administrator encryption key",
                adminId, Role.ADMIN);
        key("X25519", encryption);
        requireUnusedKeys(new byte[][] {signing, encryption}, adminId);
        byte[] custodian = b.bytes("custodianKey", null);
        if (custodian != null) {
            key("X25519", custodian);
        }
        Organisation org = new Organisation(orgId, b.string("name"), ca, custodian);
        User admin = new User(adminId, Role.ADMIN, orgId, signing, encryption, false);
        Runnable admit = () -> {
            state.putOrganisation(org);
            state.putUser(admin);
            state.clearAdmissionVotes(orgId);
        };
        if (proposer == null) {
            return admit;
        }
        // A majority of the member organisations must propose the very same admission, each through one
        // of its administrators, so no single administrator can create organisations (and their votes).
        String from = proposer.organisation();
        Digest proposal = Digest.sha256(b.encode());
        int required = state.organisationCount() / 2 + 1;
        return () -> {
            state.putAdmissionVote(orgId, from, proposal);
            TreeMap<String, Digest> votes = state.admissionVotesHeld(orgId);
            long agreeing = votes.values().stream().filter(proposal::equals).count();
            if (agreeing >= required) {
                admit.run();
            }
        };
    }

    private Runnable registerStaff(SignedTransaction tx, long now, Set<Role> allowed) {
        User author = author(tx);
        Fields b = tx.body();
        String userId = id(b, "userId");
        Role role = role(b.string("role"));
        if (!allowed.contains(role)) {
            throw new Rejected(tx.type() + " cannot register the role " + role);
        }
        if (author.role() != Role.ADMIN) {
            throw new Rejected("only an administrator registers staff");
        }
        Organisation org = state.organisation(author.organisation());
        if (state.user(userId) != null) {
            throw new Rejected("user id " + userId + " is taken");
        }
        byte[][] keys = certifiedKeys(b, org, now, userId, role);
        requireUnusedKeys(keys, userId);
        User u = new User(userId, role, org.id(), keys[0], keys[1], false, author.id(), null, false);
        return () -> state.putUser(u);
    }

    private Runnable registerPatient(SignedTransaction tx, long now) {
        Fields b = tx.body();
        String patientId = checkId(tx.author(), "patient id");
        if (state.user(patientId) != null) {
            throw new Rejected("user id " + patientId + " is taken");
        }
        Organisation org = state.organisation(b.string("organisation"));
        if (org == null) {
            throw new Rejected("unknown organisation " + b.string("organisation"));
        }
        requireSelfSigned(tx, b.bytes("signingKey"));
        byte[][] keys = certifiedKeys(b, org, now, patientId, Role.PATIENT);
        requireUnusedKeys(keys, patientId);
        User u = new User(patientId, Role.PATIENT, org.id(), keys[0], keys[1], false);
        return () -> state.putUser(u);
    }

    private Runnable revokeCertificate(SignedTransaction tx) {
        User author = author(tx);
        User target = state.user(tx.body().string("userId"));
        if (target == null) {
            throw new Rejected("unknown user " + tx.body().string("userId"));
        }
        if (!actsFor(author, target)) {
            throw new Rejected("only the user or an administrator of " + target.organisation() + " revokes this certificate");
        }
        if (target.revoked()) {
            throw new Rejected("the certificate of " + target.id() + " is already revoked");
        }
        return () -> {
            state.putUser(target.revoke());
            // A revoked identity reads nothing any more: its key wraps go (its own records keep the patient's).
            state.removeWrapsOfReader(target.id());
        };
    }

    /** Whether {@code author} is {@code subject} or an administrator of the subject's organisation. */
    private static boolean actsFor(User author, User subject) {
        return author.id().equals(subject.id())
                || (author.role() == Role.ADMIN && author.organisation().equals(subject.organisation()));
    }

    /** The signing and encryption keys of a body, each certified by the organisation's CA. */
    static byte[][] certifiedKeys(Fields b, Organisation org, long now, String userId, Role role) {
        byte[] signing = b.bytes("signingKey");
        byte[] encryption = b.bytes("encryptionKey");
        key("Ed25519", signing);
        key("X25519", encryption);
        requireCertified(b.bytes("signingCertificate"), org.caCertificate(), signing, now, "signing key", userId, role);
        requireCertified(b.bytes("encryptionCertificate"), org.caCertificate(), encryption, now, "encryption key", userId,
                role);
        return new byte[][] {signing, encryption};
    }

    /**
     * One key pair, one account: keys another user already registered are refused, so nobody holds the
     * administrator role and a practitioner role under the same keys.
     */
    void requireUnusedKeys(byte[][] keys, String userId) {
        if (state.keysInUse(keys[0], keys[1], userId)) {
            throw new Rejected("these keys are registered to another account; every account has its own keys");
        }
    }

    private static Role role(String name) {
        try {
            return Role.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Rejected("unknown role " + name);
        }
    }

    private static Category category(String name) {
        try {
            return Category.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Rejected("unknown category " + name);
        }
    }

    // ---- authorisation -----------------------------------------------------------------------

    /** Why a user may read a category of a patient's record at a time, or null (the contracts' own rule). */
    public AccessBasis accessBasis(String readerId, String patient, Category category, long now) {
        User reader = state.user(readerId);
        return reader == null ? null : basis(reader, patient, category, now);
    }

    /**
     * Why {@code reader} may read {@code category} of {@code patient} at {@code now}, or null. Administrators
     * never read clinical content; billing staff read billing-relevant categories under a consent only.
     */
    AccessBasis basis(User reader, String patient, Category category, long now) {
        if (reader.revoked()) {
            return null;
        }
        if (reader.role() == Role.PATIENT) {
            return reader.id().equals(patient) ? AccessBasis.OWNER : null;
        }
        if (reader.role() == Role.ADMIN || (reader.role() == Role.BILLING && !category.billingRelevant())) {
            return null;
        }
        for (Consent c : state.consentsOf(patient)) {
            if (c.covers(reader.id(), reader.organisation(), category, now)) {
                return AccessBasis.CONSENT;
            }
        }
        if (reader.role() == Role.PRACTITIONER) {
            if (state.openBreakGlass(reader.id(), patient, now) != null) {
                return AccessBasis.BREAK_GLASS;
            }
            if (state.emergency().inForceAt(now)) {
                return AccessBasis.EMERGENCY;
            }
        }
        return null;
    }

    /** Whether a consent gives this user read access to a category (the same rules as {@link #basis}). */
    private static boolean mayReadUnder(User u, Consent c, Category category, long now) {
        boolean role = u.role() == Role.PRACTITIONER || (u.role() == Role.BILLING && category.billingRelevant());
        return !u.revoked() && role && c.covers(u.id(), u.organisation(), category, now);
    }

    private User patient(String id) {
        User p = state.user(id);
        if (p == null || p.role() != Role.PATIENT) {
            throw new Rejected("unknown patient " + id);
        }
        return p;
    }

    private static String refusal(User reader, Category category, String patient) {
        if (reader.role() == Role.ADMIN) {
            return "administrators cannot read or write clinical content";
        }
        if (reader.role() == Role.PATIENT) {
            return "a patient reads only their own record, not the record of " + patient;
        }
        if (reader.role() == Role.BILLING) {
            return "billing staff see only billing-relevant items under a billing consent of " + patient;
        }
        return "no consent of " + patient + " covers " + category + " for " + reader.id()
                + "; ask the patient for consent, or open break-glass access with a reason";
    }

    // ---- records -----------------------------------------------------------------------------

    /** Wraps listed as {@code "<reader>:<base64>"}. */
    static Map<String, byte[]> readerWraps(List<String> entries) {
        Map<String, byte[]> out = new TreeMap<>();
        for (String e : entries) {
            int colon = e.lastIndexOf(':');
            if (colon < 1) {
                throw new Rejected("a key wrap is written <reader>:<base64>");
            }
            try {
                if (out.put(e.substring(0, colon), Base64.getDecoder().decode(e.substring(colon + 1))) != null) {
                    throw new Rejected("two key wraps for " + e.substring(0, colon));
                }
            } catch (IllegalArgumentException ex) {
                throw new Rejected("a key wrap is not base64");
            }
        }
        return out;
    }

    private Runnable addRecord(SignedTransaction tx, long now, Category forced) {
        User author = author(tx);
        Fields b = tx.body();
        String recordId = id(b, "recordId");
        User patient = patient(b.string("patient"));
        Category category = forced != null ? forced : category(b.string("category"));
        byte[] hash = b.bytes("contentHash");
        long size = b.number("size");
        if (state.record(recordId) != null) {
            throw new Rejected("record " + recordId + " already exists");
        }
        if (hash.length != Digest.LENGTH || size < 0 || size > MAX_RECORD_BYTES) {
            throw new Rejected("a record needs a SHA-256 content hash and a size up to " + MAX_RECORD_BYTES + " bytes");
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
        if (!own && (author.role() != Role.PRACTITIONER || basis(author, patient.id(), category, now) == null)) {
            throw new Rejected(refusal(author, category, patient.id()));
        }
        Map<String, byte[]> wraps = readerWraps(b.strings("wraps"));
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
            if (r == null || (!reader.equals(author.id()) && basis(r, patient.id(), category, now) == null)) {
                throw new Rejected("the record key is wrapped for " + reader + ", who may not read it");
            }
        }
        ClinicalRecord record = new ClinicalRecord(recordId, patient.id(), category, author.id(), Digest.of(hash), size, now,
                false);
        return () -> {
            state.addRecord(record);
            state.putNewWraps(recordId, wraps);
        };
    }

    // ---- consent -----------------------------------------------------------------------------

    private Runnable grantConsent(SignedTransaction tx, long now) {
        User author = author(tx);
        Fields b = tx.body();
        String consentId = id(b, "consentId");
        if (author.role() != Role.PATIENT) {
            throw new Rejected("only the patient grants consent to their record");
        }
        String grantee = b.string("grantee");
        if (grantee.startsWith(Consent.ORGANISATION)
                ? state.organisation(grantee.substring(Consent.ORGANISATION.length())) == null
                : state.user(grantee) == null) {
            throw new Rejected("unknown grantee " + grantee);
        }
        if (state.consent(consentId) != null) {
            throw new Rejected("consent " + consentId + " already exists");
        }
        EnumSet<Category> categories = EnumSet.noneOf(Category.class);
        for (String c : b.strings("categories")) {
            categories.add(category(c));
        }
        if (categories.isEmpty()) {
            throw new Rejected("a consent names at least one category");
        }
        long expires = b.number("expiresAt", 0);
        if (expires != 0 && expires <= now) {
            throw new Rejected("the consent would already be expired");
        }
        Consent consent = new Consent(consentId, author.id(), grantee, Set.copyOf(categories), expires, false);
        // Existing records' keys re-wrapped by the patient for the new reader(s): "<recordId>/<reader>:<base64>".
        Map<String, byte[]> added = readerWraps(b.has("wraps") ? b.strings("wraps") : List.of());
        for (String key : added.keySet()) {
            int slash = key.indexOf('/');
            ClinicalRecord r = slash < 1 ? null : state.record(key.substring(0, slash));
            String reader = slash < 1 ? "" : key.substring(slash + 1);
            User u = state.user(reader);
            if (r == null || r.erased() || !r.patient().equals(author.id()) || !categories.contains(r.category())
                    || u == null || !mayReadUnder(u, consent, r.category(), now)) {
                throw new Rejected("key wrap " + key + " is not for a record this consent lets that reader read");
            }
        }
        return () -> {
            state.putConsent(consent);
            for (var e : added.entrySet()) {
                int slash = e.getKey().indexOf('/');
                state.putWrap(e.getKey().substring(0, slash), e.getKey().substring(slash + 1), e.getValue());
            }
        };
    }

    private Runnable revokeConsent(SignedTransaction tx, long now) {
        User author = author(tx);
        Consent c = state.consent(tx.body().string("consentId"));
        if (c == null || !c.patient().equals(author.id())) {
            throw new Rejected("no consent " + tx.body().string("consentId") + " of " + author.id());
        }
        if (c.revoked()) {
            throw new Rejected("consent " + c.id() + " is already revoked");
        }
        return () -> {
            state.putConsent(c.revoke());
            // Readers who no longer have a basis lose their key wraps; later records are not wrapped for them.
            for (ClinicalRecord r : state.recordsOf(c.patient())) {
                for (String reader : state.wrapsOf(r.id()).keySet()) {
                    if (reader.startsWith(Consent.ORGANISATION) || reader.equals(c.patient())) {
                        continue; // the custodian serves readers only on a committed basis
                    }
                    User u = state.user(reader);
                    if (u == null || basis(u, c.patient(), r.category(), now) == null) {
                        state.removeWrap(r.id(), reader);
                    }
                }
            }
        };
    }

    // ---- access ------------------------------------------------------------------------------

    private Runnable recordAccess(SignedTransaction tx, long now) {
        User reader = author(tx);
        Fields b = tx.body();
        User patient = patient(b.string("patient"));
        Category category = category(b.string("category"));
        String reason = b.string("reason", "");
        if (b.has("recordId")) {
            ClinicalRecord r = state.record(b.string("recordId"));
            if (r == null || !r.patient().equals(patient.id()) || r.category() != category) {
                throw new Rejected("no " + category + " record " + b.string("recordId") + " of " + patient.id());
            }
            if (r.erased()) {
                throw new Rejected("record " + r.id() + " was erased; its content no longer exists");
            }
        }
        AccessBasis basis = basis(reader, patient.id(), category, now);
        if (basis == null) {
            throw new Rejected(refusal(reader, category, patient.id()));
        }
        if (basis != AccessBasis.OWNER && reason.isBlank()) {
            throw new Rejected("a reason is required to read another person's record");
        }
        AccessEvent event = new AccessEvent(now, patient.id(), reader.id(), reader.organisation(), category, basis, reason);
        String key = currentTx;
        return () -> state.logAccess(key, event);
    }

    /** Longest emergency state. */
    public static final long MAX_EMERGENCY_MINUTES = 72 * 60;
    /** How long a vote waits for the others. */
    public static final long EMERGENCY_VOTE_WINDOW_MILLIS = 60 * 60_000;

    private Runnable emergencyVote(SignedTransaction tx, long now, boolean declare) {
        User admin = author(tx);
        if (admin.role() != Role.ADMIN) {
            throw new Rejected("only administrators declare or end the emergency state");
        }
        boolean active = state.emergency().inForceAt(now);
        if (declare == active) {
            throw new Rejected(declare ? "the emergency state is already in force" : "no emergency state is in force");
        }
        String reason = tx.body().string("reason").strip();
        long minutes = declare ? tx.body().number("minutes") : 0;
        if (reason.length() < 10) {
            throw new Rejected("a reason of at least 10 characters is required");
        }
        if (declare && (minutes < 1 || minutes > MAX_EMERGENCY_MINUTES)) {
            throw new Rejected("an emergency state lasts 1 to " + MAX_EMERGENCY_MINUTES + " minutes");
        }
        String kind = declare ? "DECLARE" : "END";
        return () -> {
            // One vote per organisation; votes older than the window lapse.
            state.emergencyVotesHeld(kind).forEach((org, v) -> {
                if (now - v.at() > EMERGENCY_VOTE_WINDOW_MILLIS) {
                    state.removeEmergencyVote(kind, org);
                }
            });
            state.putEmergencyVote(kind, admin.organisation(), new WorldState.EmergencyVote(now, admin.id(), minutes, reason));
            TreeMap<String, WorldState.EmergencyVote> votes = state.emergencyVotesHeld(kind);
            if (votes.size() < state.emergencyQuorum()) {
                return;
            }
            java.util.TreeSet<String> by = new java.util.TreeSet<>();
            long shortest = Long.MAX_VALUE;
            for (WorldState.EmergencyVote v : votes.values()) {
                by.add(v.admin());
                shortest = Math.min(shortest, v.minutes());
            }
            state.emergency(declare
                    ? new EmergencyState(true, reason, now, now + shortest * 60_000,
                            java.util.Collections.unmodifiableSortedSet(by))
                    : EmergencyState.NONE);
            state.clearEmergencyVotes();
        };
    }

    private Runnable rotateKey(SignedTransaction tx, long now) {
        User user = author(tx);
        Fields b = tx.body();
        Organisation org = state.organisation(user.organisation());
        byte[][] keys = certifiedKeys(b, org, now, user.id(), user.role());
        requireUnusedKeys(keys, user.id());
        // The owner re-wraps the keys of the records they may read for the new encryption key: "<recordId>:<base64>".
        Map<String, byte[]> rewrapped = readerWraps(b.has("wraps") ? b.strings("wraps") : List.of());
        for (String recordId : rewrapped.keySet()) {
            if (!state.readersOf(recordId).contains(user.id())) {
                throw new Rejected("record " + recordId + " is not wrapped for " + user.id());
            }
        }
        User rotated = user.withKeys(keys[0], keys[1]);
        return () -> {
            state.putUser(rotated);
            for (var e : rewrapped.entrySet()) {
                state.putWrap(e.getKey(), user.id(), e.getValue());
            }
        };
    }

    private Runnable eraseRecord(SignedTransaction tx) {
        User author = author(tx);
        ClinicalRecord r = state.record(tx.body().string("recordId"));
        String legalBasis = tx.body().string("legalBasis").strip();
        if (r == null) {
            throw new Rejected("unknown record " + tx.body().string("recordId"));
        }
        User patient = state.user(r.patient());
        if (!actsFor(author, patient)) {
            throw new Rejected("only the patient or an administrator of " + patient.organisation() + " erases a record");
        }
        if (r.erased()) {
            throw new Rejected("record " + r.id() + " is already erased");
        }
        if (legalBasis.length() < 5) {
            throw new Rejected("erasure needs its legal basis (e.g. GDPR Art. 17 request reference)");
        }
        return () -> {
            state.putRecord(r.erase());
            state.removeWrapsOfRecord(r.id()); // crypto-shredding: no reader can unwrap the data key any more
            state.erased(r.id());
        };
    }

    private Runnable openBreakGlass(SignedTransaction tx, long now) {
        User practitioner = author(tx);
        Fields b = tx.body();
        User patient = patient(b.string("patient"));
        String reason = b.string("reason").strip();
        long minutes = b.number("minutes");
        if (practitioner.role() != Role.PRACTITIONER) {
            throw new Rejected("only practitioners open break-glass access");
        }
        if (reason.length() < 10) {
            throw new Rejected("break-glass access needs a reason of at least 10 characters");
        }
        if (minutes < 1 || minutes > MAX_BREAK_GLASS_MINUTES) {
            throw new Rejected("break-glass access lasts 1 to " + MAX_BREAK_GLASS_MINUTES + " minutes");
        }
        if (practitioner.awaitsConfirmation() && now >= TWO_PERSON_RULE_SINCE) {
            throw new Rejected("the registration of " + practitioner.id() + " by " + practitioner.registeredBy()
                    + " awaits confirmation by a second administrator of " + practitioner.organisation()
                    + "; break-glass access is refused until then");
        }
        BreakGlass grant = new BreakGlass(patient.id(), practitioner.id(), reason, now, now + minutes * 60_000);
        String key = currentTx;
        return () -> state.addBreakGlass(key, grant);
    }

    /**
     * A billing clerk acknowledges a billable record (prescription, encounter, procedure) as billed, under
     * a billing consent in force; once per record, with their invoice reference.
     */
    private Runnable acknowledgeBilled(SignedTransaction tx, long now) {
        User clerk = author(tx);
        Fields b = tx.body();
        String invoice = b.string("invoice").strip();
        ClinicalRecord r = state.record(b.string("recordId"));
        if (clerk.role() != Role.BILLING) {
            throw new Rejected("only billing staff acknowledge billable events");
        }
        if (r == null || r.erased() || !r.category().billingRelevant()) {
            throw new Rejected("no billable record " + b.string("recordId"));
        }
        if (basis(clerk, r.patient(), r.category(), now) != AccessBasis.CONSENT) {
            throw new Rejected("no billing consent of " + r.patient() + " covers " + r.category() + " for " + clerk.id());
        }
        if (invoice.isEmpty() || invoice.length() > 64) {
            throw new Rejected("an invoice reference has 1 to 64 characters");
        }
        org.ehrledger.ejb.domain.model.record.Billed already = state.billed(r.id());
        if (already != null) {
            throw new Rejected("record " + r.id() + " is already billed (invoice " + already.invoice() + ")");
        }
        org.ehrledger.ejb.domain.model.record.Billed billed = new org.ehrledger.ejb.domain.model.record.Billed(r.id(),
                clerk.id(), clerk.organisation(), invoice, now);
        return () -> state.putBilled(billed);
    }
}

package org.ehrledger.ejb.application.service;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.access.AccessPolicy;
import org.ehrledger.ejb.domain.model.ledger.Block;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.LedgerEntry;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.RecordCipher;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * Sealing and opening clinical records, shared by the session beans. A new record is wrapped for the
 * readers {@link AccessPolicy#keyReaders} names (the patient, its author, every user a consent in force
 * lets read it, and the custodian of the patient's organisation). Opening uses the reader's own wrap; only when the reader has none, and a basis for the
 * read was committed on chain, does this replica's custodian key open it (break-glass, emergency,
 * consents given to a whole organisation).
 */
@ApplicationScoped
public class ClinicalRecords {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    /** At most this many existing records are re-wrapped when a consent is granted (the custodian serves the rest). */
    static final int MAX_REWRAPS = 500;

    @Inject
    LedgerRuntime ledger;

    @Inject
    OrganisationCa organisation;

    @Inject
    ReplicaConfig config;

    @Inject
    ReceiptIssuer receipts;

    /** A record opened for a reader: its on-chain facts and its decrypted fields (title, text, details). */
    public record Opened(ClinicalRecord record, Map<String, String> fields) {

        /** A field, or empty. */
        public String field(String name) {
            return fields.getOrDefault(name, "");
        }
    }

    /**
     * Which of a patient's records to open, newest first (by consensus time, then id), a page at a time.
     *
     * @param categories only records of these categories (of those the reader may read)
     * @param from       only records created at or after this time (epoch milliseconds)
     * @param to         only records created before this time
     * @param after      the id of the last record of the previous page (null: the first page)
     * @param limit      at most this many records, 1 to {@value #MAX_LIMIT}
     */
    public record PageQuery(Set<Category> categories, long from, long to, String after, int limit) {

        /** Largest page. */
        public static final int MAX_LIMIT = 200;

        public PageQuery {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "limit is 1 to " + MAX_LIMIT);
            }
            categories = categories.isEmpty() ? EnumSet.noneOf(Category.class) : EnumSet.copyOf(categories);
        }
    }

    /**
     * A page of a patient's records as opened for a reader, newest first.
     *
     * @param records the page
     * @param next    the id of its last record when more follow (what {@link PageQuery#after} names next), or null
     */
    public record OpenedPage(List<Opened> records, String next) {
    }

    /** A page of records not opened yet, and the id of its last one when more follow (or null). */
    record Found(List<ClinicalRecord> records, String next) {
    }

    /**
     * The records of {@code patient} a page names, of the categories in both {@code readable} and the page's, read
     * through the state's indexes (nothing is opened); erased records too if {@code erasedToo}. A page whose
     * {@code after} is not a record of this patient is refused ({@code INVALID_INPUT}).
     */
    Found find(String patient, Set<Category> readable, boolean erasedToo, PageQuery page) {
        EnumSet<Category> wanted = EnumSet.noneOf(Category.class);
        readable.stream().filter(page.categories()::contains).forEach(wanted::add);
        Found found = ledger.query(s -> {
            ClinicalRecord after = page.after() == null ? null : s.record(page.after());
            if (page.after() != null && (after == null || !after.patient().equals(patient))) {
                return null;
            }
            List<ClinicalRecord> rows = s.recordsOf(patient, wanted, erasedToo, page.from(), page.to(), after, page.limit() + 1);
            return rows.size() <= page.limit() ? new Found(rows, null)
                    : new Found(List.copyOf(rows.subList(0, page.limit())), rows.get(page.limit() - 1).id());
        });
        if (found == null) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "not a cursor of this list; start again without one");
        }
        return found;
    }

    /** Every record of {@code patient} of these categories, newest first, not opened; erased ones too if {@code erasedToo}. */
    List<ClinicalRecord> all(String patient, Set<Category> categories, boolean erasedToo) {
        return categories.isEmpty() ? List.of() : ledger.query(s -> s.recordsOf(patient, EnumSet.copyOf(categories), erasedToo,
                Long.MIN_VALUE, Long.MAX_VALUE, null, Integer.MAX_VALUE));
    }

    /** Seals content for the given readers, as the body and ciphertext of a record transaction. */
    public static RecordSealer.Sealed seal(String recordId, String patientId, Category category, Map<String, String> fields,
                                           Map<String, byte[]> readers) {
        var json = JSON.createObjectBuilder();
        fields.forEach(json::add);
        byte[] content = json.build().toString().getBytes(StandardCharsets.UTF_8);
        return RecordSealer.seal(recordId, patientId, category.name(), content, readers);
    }

    /**
     * Opens a record for a reader with their own key wrap, or (when {@code custodianMay}, i.e. the
     * reader's access was committed on chain) with the custodian's.
     */
    public Opened open(ClinicalRecord r, String readerId, UserKeys keys, boolean custodianMay) {
        return openAll(List.of(r), readerId, keys, custodianMay, false).get(0);
    }

    /**
     * Opens records for one reader as {@link #open} opens each, in their order, with one query for all their contents
     * and one for all their key wraps (a page of 20 is then 2 queries, not 40). A record that cannot be opened is
     * refused ({@link EhrException}) or, when {@code explain}, shown as {@link #openOrExplain} shows it.
     */
    public List<Opened> openAll(List<ClinicalRecord> rs, String readerId, UserKeys keys, boolean custodianMay, boolean explain) {
        List<String> ids = rs.stream().filter(r -> !r.erased()).map(ClinicalRecord::id).distinct().toList();
        Map<String, byte[]> contents = ids.isEmpty() ? Map.of() : ledger.contents(ids);
        Map<String, byte[]> wraps = ids.isEmpty() ? Map.of() : ledger.query(s -> s.wrappedKeys(ids, readerId));
        List<String> notForReader = ids.stream().filter(id -> !wraps.containsKey(id)).toList();
        boolean custodianOpens = custodianMay && !notForReader.isEmpty();
        Map<String, byte[]> custodianWraps = !custodianOpens ? Map.of()
                : ledger.query(s -> s.wrappedKeys(notForReader, Organisation.custodianOf(config.organisationId())));
        Map<String, String> homes = !custodianOpens ? Map.of() : homesOf(rs, Set.copyOf(notForReader));
        List<Opened> out = new ArrayList<>(rs.size());
        for (ClinicalRecord r : rs) {
            try {
                out.add(open(r, contents.get(r.id()), wraps.get(r.id()), custodianWraps.get(r.id()), homes.get(r.patient()),
                        readerId, keys, custodianMay));
            } catch (EhrException e) {
                if (!explain) {
                    throw e;
                }
                out.add(explained(r, e));
            }
        }
        return out;
    }

    /** The organisation of the patient of each record of {@code rs} that {@code ids} names: one query for them all. */
    private Map<String, String> homesOf(List<ClinicalRecord> rs, Set<String> ids) {
        Set<String> patients = new HashSet<>();
        rs.stream().filter(r -> ids.contains(r.id())).forEach(r -> patients.add(r.patient()));
        return ledger.query(s -> {
            Map<String, String> out = new HashMap<>();
            for (String patient : patients) {
                User u = s.user(patient);
                if (u != null) {
                    out.put(patient, u.organisation());
                }
            }
            return out;
        });
    }

    private Opened open(ClinicalRecord r, byte[] ciphertext, byte[] wrapped, byte[] custodianWrapped, String home,
                        String readerId, UserKeys keys, boolean custodianMay) {
        if (r.erased()) {
            return new Opened(r, Map.of("title", "Erased", "text", "This record was erased; only its hash remains on chain."));
        }
        if (ciphertext == null) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "the content of record " + r.id()
                    + " has not reached this replica yet; try again in a moment");
        }
        byte[] context = r.id().getBytes(StandardCharsets.UTF_8);
        byte[] dataKey;
        try {
            if (wrapped != null) {
                dataKey = KeyWrap.unwrap(KeyWrap.Wrapped.decode(wrapped), keys.encryption().getPrivate(),
                        keys.encryption().getPublic(), context);
            } else if (custodianMay) {
                dataKey = viaCustodian(r, custodianWrapped, home, context);
            } else {
                throw new EhrException(ErrorCode.FORBIDDEN, "record " + r.id() + " is not wrapped for " + readerId);
            }
            return new Opened(r, parse(RecordCipher.decrypt(dataKey, ciphertext, context)));
        } catch (CryptoException e) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "record " + r.id() + " could not be decrypted here");
        }
    }

    /**
     * The data key through this replica's custodian (whose wrap of the record is {@code wrapped}, or null), for a
     * record of a patient of organisation {@code home} (read with the others by {@link #homesOf}).
     */
    private byte[] viaCustodian(ClinicalRecord r, byte[] wrapped, String home, byte[] context) {
        if (!config.organisationId().equals(home)) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "record " + r.id() + " is held for you by " + home
                    + "; your access is recorded on chain, sign in at a replica of " + home + " to read it");
        }
        if (wrapped == null) {
            throw new EhrException(ErrorCode.UNAVAILABLE, "record " + r.id() + " has no custodian copy of its key");
        }
        KeyPair custodian = organisation.custodian();
        return KeyWrap.unwrap(KeyWrap.Wrapped.decode(wrapped), custodian.getPrivate(), custodian.getPublic(), context);
    }

    private static Map<String, String> parse(byte[] json) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            JsonObject o = JSON.createReader(new StringReader(new String(json, StandardCharsets.UTF_8))).readObject();
            for (Map.Entry<String, JsonValue> e : o.entrySet()) {
                out.put(e.getKey(), e.getValue() instanceof JsonString s ? s.getString() : e.getValue().toString());
            }
        } catch (RuntimeException e) {
            out.put("text", new String(json, StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * Key wraps of a patient's existing records for a new user grantee, as {@code <recordId>/<reader>:<base64>}
     * (the patient unwraps with their own key). Readers the consent would not let read a category get none.
     */
    public List<String> rewrapFor(String patientId, UserKeys patientKeys, User grantee, List<String> categories) {
        if (!AccessPolicy.readsUnderSomeConsent(grantee.role())) {
            return List.of();
        }
        List<ClinicalRecord> records = ledger.query(s -> s.recordsOf(patientId)).stream()
                .filter(r -> !r.erased() && categories.contains(r.category().name())
                        && AccessPolicy.readsUnderConsent(grantee.role(), r.category()))
                .limit(MAX_REWRAPS).toList();
        List<String> out = new java.util.ArrayList<>();
        var granteeKey = UserKeys.publicKey("X25519", grantee.encryptionKey());
        for (ClinicalRecord r : records) {
            byte[] context = r.id().getBytes(StandardCharsets.UTF_8);
            byte[] own = ledger.query(s -> s.wrappedKey(r.id(), patientId));
            if (own == null) {
                continue;
            }
            byte[] key = KeyWrap.unwrap(KeyWrap.Wrapped.decode(own), patientKeys.encryption().getPrivate(),
                    patientKeys.encryption().getPublic(), context);
            out.add(r.id() + "/" + grantee.id() + ":" + java.util.Base64.getEncoder()
                    .encodeToString(KeyWrap.wrap(key, granteeKey, context).encode()));
            java.util.Arrays.fill(key, (byte) 0);
        }
        return out;
    }

    /** Opens a record as {@link #open} does; a record that cannot be opened here says why in its text instead. */
    public Opened openOrExplain(ClinicalRecord r, String readerId, UserKeys keys, boolean custodianMay) {
        return openAll(List.of(r), readerId, keys, custodianMay, true).get(0);
    }

    private static Opened explained(ClinicalRecord r, EhrException e) {
        return new Opened(r, Map.of("title", "Not readable here", "text", e.getMessage()));
    }

    /** Whether a reader holds their own key wrap of a record. */
    public boolean wrappedFor(String recordId, String readerId) {
        return ledger.query(s -> s.wrappedKey(recordId, readerId)) != null;
    }

    /** Where a record's transaction is on chain and whether its receipt verifies. */
    public record RecordReceipt(String recordId, long height, int index, String blockHash, String transactionId,
                                long committedAt, boolean verified, String problem) {
    }

    /**
     * Finds the block of a record's transaction (blocks are ordered by consensus time, and the record
     * carries its transaction's time) and verifies the receipt: the entry's Merkle path to the block
     * and the block's commit certificate against the genesis replica keys.
     */
    public RecordReceipt receipt(ClinicalRecord r) {
        long lo = 1;
        long hi = ledger.head().header().height();
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            BlockHeader h = ledger.header(mid);
            if (h == null || h.timestamp() < r.createdAt()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (long height = lo; ; height++) {
            Block b = ledger.block(height);
            if (b == null || b.header().timestamp() > r.createdAt()) {
                throw new EhrException(ErrorCode.NOT_FOUND, "the transaction of record " + r.id() + " is not stored here");
            }
            List<LedgerEntry> entries = b.entries();
            for (int i = 0; i < entries.size(); i++) {
                LedgerEntry e = entries.get(i);
                SignedTransaction tx = decodeOrNull(e.transaction());
                if (e.accepted() && tx != null && tx.type().carriesContent()
                        && r.id().equals(tx.body().string("recordId", ""))) {
                    ReceiptIssuer.CheckedReceipt checked = receipts.issue(height, i, null);
                    return new RecordReceipt(r.id(), height, i, b.header().hash().hex(),
                            org.ehrledger.consensus.codec.Digest.sha256(e.transaction()).hex(), b.header().timestamp(),
                            checked.verified(), checked.verified() ? "" : checked.problem());
                }
            }
        }
    }

    private static SignedTransaction decodeOrNull(byte[] tx) {
        try {
            return SignedTransaction.decode(tx);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The organisation's display name, or its id. */
    public static String organisationName(WorldState s, String id) {
        Organisation o = s.organisation(id);
        return o == null ? id : o.name();
    }
}

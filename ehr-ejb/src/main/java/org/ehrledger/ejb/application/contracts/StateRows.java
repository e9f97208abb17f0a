package org.ehrledger.ejb.application.contracts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.ehrledger.consensus.codec.Wire;
import org.ehrledger.ejb.domain.model.ledger.StateCommitment;
import org.ehrledger.ejb.domain.model.record.AccessBasis;
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
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.ehrledger.consensus.codec.Digest;

/**
 * Canonical encodings of the world state's values (hashed into the state commitment, so they are a chain
 * format: see docs/STATE.md) and the columns derived from them. Integers are big-endian, strings
 * length-prefixed UTF-8, optional values prefixed by a presence byte, enums by name, sets sorted.
 */
public final class StateRows {

    private StateRows() {
    }

    /** A row of {@code table} with this key and body, its digest and the columns derived from the body. */
    public static StateStore.Row row(StateTable table, String key, byte[] body) {
        byte[] digest = StateCommitment.rowDigest(table.tableName(), key, body);
        return switch (table) {
            case USER -> {
                User u = user(body);
                yield new StateStore.Row(key, body, digest, u.organisation(), hex(u.signingKey()), hex(u.encryptionKey()), 0);
            }
            case RECORD -> {
                ClinicalRecord r = record(body);
                yield new StateStore.Row(key, body, digest, r.patient(), patientCategory(r.patient(), r.category(), r.erased()),
                        null, r.createdAt());
            }
            case KEY_WRAP -> new StateStore.Row(key, body, digest, before(key), after(key), null, 0);
            case CONSENT -> {
                Consent c = consent(body);
                yield new StateStore.Row(key, body, digest, c.patient(), c.grantee(), null, 0);
            }
            case BREAK_GLASS -> {
                BreakGlass g = breakGlass(body);
                yield new StateStore.Row(key, body, digest, g.patient(), g.practitioner(), null, g.openedAt());
            }
            case ACCESS_EVENT -> {
                AccessEvent e = accessEvent(body);
                yield new StateStore.Row(key, body, digest, e.patient(), null, null, e.at());
            }
            case EMERGENCY_VOTE, ADMISSION_VOTE -> new StateStore.Row(key, body, digest, before(key), null, null, 0);
            case RECOVERED -> {
                Recovery r = recovery(body);
                yield new StateStore.Row(key, body, digest, r.userId(), null, null, r.completedAt());
            }
            case IMPORT -> {
                Import i = importOf(body);
                yield new StateStore.Row(key, body, digest, i.patient(), i.author(), i.status(), i.startedAt());
            }
            case STAGED_RECORD -> {
                StagedRecord s = staged(body);
                yield new StateStore.Row(key, body, digest, s.importId(), null, null, s.sequence());
            }
            default -> {
                decode(table, body); // a body must decode, whatever its table
                yield new StateStore.Row(key, body, digest, null, null, null, 0);
            }
        };
    }

    private static void decode(StateTable table, byte[] body) {
        switch (table) {
            case ORGANISATION -> organisation(body);
            case BILLED -> billed(body);
            case EMERGENCY_STATE -> emergency(body);
            case RECOVERY -> recovery(body);
            case SEEN_TRANSACTION -> new Wire.Reader(body).expectEnd();
            default -> {
            }
        }
    }

    /**
     * Index 2 of a record's row: its patient and category, and whether it was erased ({@code <patient>/<CATEGORY>},
     * {@code <patient>/<CATEGORY>/erased}), so a page of a patient's records in some categories, and whether a
     * category holds any, are read through an index.
     */
    public static String patientCategory(String patient, Category category, boolean erased) {
        return patient + "/" + category.name() + (erased ? "/erased" : "");
    }

    /** The part of a compound key before its first '/'. */
    static String before(String key) {
        return key.substring(0, key.indexOf('/'));
    }

    /** The part of a compound key after its first '/'. */
    static String after(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    // ---- values ------------------------------------------------------------------------------

    static byte[] organisation(Organisation o) {
        Wire.Writer w = new Wire.Writer(256);
        str(w, o.id());
        str(w, o.name());
        w.bytes(o.caCertificate()).optionalBytes(o.custodianKey());
        return w.toBytes();
    }

    static Organisation organisation(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        Organisation o = new Organisation(str(r), str(r), r.bytes(), r.optionalBytes());
        r.expectEnd();
        return o;
    }

    static byte[] user(User u) {
        Wire.Writer w = new Wire.Writer(160);
        str(w, u.id());
        str(w, u.role().name());
        str(w, u.organisation());
        w.bytes(u.signingKey()).bytes(u.encryptionKey()).u8(u.revoked() ? 1 : 0);
        optStr(w, u.registeredBy());
        optStr(w, u.confirmedBy());
        w.u8(u.recovering() ? 1 : 0);
        return w.toBytes();
    }

    static User user(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        User u = new User(str(r), Role.valueOf(str(r)), str(r), r.bytes(), r.bytes(), r.flag(), optStr(r), optStr(r), r.flag());
        r.expectEnd();
        return u;
    }

    static byte[] record(ClinicalRecord c) {
        Wire.Writer w = new Wire.Writer(128);
        str(w, c.id());
        str(w, c.patient());
        str(w, c.category().name());
        str(w, c.author());
        w.digest(c.contentHash()).i64(c.size()).i64(c.createdAt()).u8(c.erased() ? 1 : 0);
        return w.toBytes();
    }

    static ClinicalRecord record(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        ClinicalRecord c = new ClinicalRecord(str(r), str(r), Category.valueOf(str(r)), str(r), r.digest(), r.i64(), r.i64(),
                r.flag());
        r.expectEnd();
        return c;
    }

    static byte[] consent(Consent c) {
        Wire.Writer w = new Wire.Writer(96);
        str(w, c.id());
        str(w, c.patient());
        str(w, c.grantee());
        TreeSet<Category> sorted = new TreeSet<>(c.categories());
        w.i32(sorted.size());
        sorted.forEach(cat -> str(w, cat.name()));
        w.i64(c.expiresAt()).u8(c.revoked() ? 1 : 0);
        return w.toBytes();
    }

    static Consent consent(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        String id = str(r);
        String patient = str(r);
        String grantee = str(r);
        int n = r.count(4);
        EnumSet<Category> categories = EnumSet.noneOf(Category.class);
        for (int i = 0; i < n; i++) {
            categories.add(Category.valueOf(str(r)));
        }
        Consent c = new Consent(id, patient, grantee, Set.copyOf(categories), r.i64(), r.flag());
        r.expectEnd();
        return c;
    }

    static byte[] breakGlass(BreakGlass g) {
        Wire.Writer w = new Wire.Writer(128);
        str(w, g.patient());
        str(w, g.practitioner());
        str(w, g.reason());
        w.i64(g.openedAt()).i64(g.until());
        return w.toBytes();
    }

    static BreakGlass breakGlass(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        BreakGlass g = new BreakGlass(str(r), str(r), str(r), r.i64(), r.i64());
        r.expectEnd();
        return g;
    }

    static byte[] accessEvent(AccessEvent e) {
        Wire.Writer w = new Wire.Writer(128).i64(e.at());
        str(w, e.patient());
        str(w, e.reader());
        str(w, e.organisation());
        str(w, e.category().name());
        str(w, e.basis().name());
        str(w, e.reason());
        return w.toBytes();
    }

    static AccessEvent accessEvent(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        AccessEvent e = new AccessEvent(r.i64(), str(r), str(r), str(r), Category.valueOf(str(r)), AccessBasis.valueOf(str(r)),
                str(r));
        r.expectEnd();
        return e;
    }

    static byte[] billed(Billed b) {
        Wire.Writer w = new Wire.Writer(96);
        str(w, b.recordId());
        str(w, b.by());
        str(w, b.organisation());
        str(w, b.invoice());
        w.i64(b.at());
        return w.toBytes();
    }

    static Billed billed(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        Billed b = new Billed(str(r), str(r), str(r), str(r), r.i64());
        r.expectEnd();
        return b;
    }

    static byte[] emergencyVote(WorldState.EmergencyVote v) {
        Wire.Writer w = new Wire.Writer(96).i64(v.at());
        str(w, v.admin());
        w.i64(v.minutes());
        str(w, v.reason());
        return w.toBytes();
    }

    static WorldState.EmergencyVote emergencyVote(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        WorldState.EmergencyVote v = new WorldState.EmergencyVote(r.i64(), str(r), r.i64(), str(r));
        r.expectEnd();
        return v;
    }

    static byte[] emergency(EmergencyState e) {
        Wire.Writer w = new Wire.Writer(96).u8(e.active() ? 1 : 0);
        str(w, e.reason());
        w.i64(e.since()).i64(e.until());
        TreeSet<String> by = new TreeSet<>(e.declaredBy());
        w.i32(by.size());
        by.forEach(s -> str(w, s));
        return w.toBytes();
    }

    static EmergencyState emergency(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        boolean active = r.flag();
        String reason = str(r);
        long since = r.i64();
        long until = r.i64();
        int n = r.count(4);
        TreeSet<String> by = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            by.add(str(r));
        }
        r.expectEnd();
        return new EmergencyState(active, reason, since, until, java.util.Collections.unmodifiableSortedSet(by));
    }

    static byte[] recovery(Recovery v) {
        Wire.Writer w = new Wire.Writer(256);
        str(w, v.userId());
        str(w, v.requestedBy());
        w.i64(v.requestedAt());
        str(w, v.reason());
        w.digest(v.requestCode());
        optStr(w, v.approvedBy());
        w.i64(v.approvedAt()).optionalBytes(v.approvalCode() == null ? null : v.approvalCode().bytes()).i64(v.completedAt());
        return w.toBytes();
    }

    static Recovery recovery(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        String user = str(r);
        String by = str(r);
        long at = r.i64();
        String reason = str(r);
        Digest code = r.digest();
        String approvedBy = optStr(r);
        long approvedAt = r.i64();
        byte[] approval = r.optionalBytes();
        Recovery v = new Recovery(user, by, at, reason, code, approvedBy, approvedAt, approval == null ? null : Digest.of(approval),
                r.i64());
        r.expectEnd();
        return v;
    }

    static byte[] importOf(Import i) {
        Wire.Writer w = new Wire.Writer(160);
        str(w, i.id());
        str(w, i.patient());
        str(w, i.author());
        str(w, i.bundleHash());
        w.i64(i.declared()).i64(i.staged()).i64(i.bytes()).i64(i.startedAt()).i64(i.lastActivity()).i64(i.publishedAt());
        return w.toBytes();
    }

    static Import importOf(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        Import i = new Import(str(r), str(r), str(r), str(r), r.i64(), r.i64(), r.i64(), r.i64(), r.i64(), r.i64());
        r.expectEnd();
        return i;
    }

    /** A staged record: import id, sequence, the record's encoding, then its wraps (count, then reader and wrap). */
    static byte[] staged(StagedRecord s) {
        Wire.Writer w = new Wire.Writer(512);
        str(w, s.importId());
        w.i64(s.sequence()).bytes(record(s.record())).i32(s.wraps().size());
        s.wraps().forEach((reader, wrap) -> {
            str(w, reader);
            w.bytes(wrap);
        });
        return w.toBytes();
    }

    static StagedRecord staged(byte[] body) {
        Wire.Reader r = new Wire.Reader(body);
        String importId = str(r);
        long sequence = r.i64();
        ClinicalRecord record = record(r.bytes());
        int n = r.count(8);
        TreeMap<String, byte[]> wraps = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            wraps.put(str(r), r.bytes());
        }
        r.expectEnd();
        return new StagedRecord(importId, sequence, record, java.util.Collections.unmodifiableSortedMap(wraps));
    }

    static byte[] digest(Digest d) {
        return d.bytes();
    }

    // ---- primitives --------------------------------------------------------------------------

    private static void str(Wire.Writer w, String s) {
        w.bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(Wire.Reader r) {
        return new String(r.bytes(), StandardCharsets.UTF_8);
    }

    private static void optStr(Wire.Writer w, String s) {
        w.optionalBytes(s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static String optStr(Wire.Reader r) {
        byte[] b = r.optionalBytes();
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Values of a list of rows decoded by {@code decode}. */
    static <T> List<T> values(List<StateStore.Row> rows, java.util.function.Function<byte[], T> decode) {
        List<T> out = new ArrayList<>(rows.size());
        for (StateStore.Row r : rows) {
            out.add(decode.apply(r.body()));
        }
        return out;
    }
}

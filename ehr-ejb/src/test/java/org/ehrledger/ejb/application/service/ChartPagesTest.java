package org.ehrledger.ejb.application.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.contracts.Actors;
import org.ehrledger.ejb.application.contracts.Contracts;
import org.ehrledger.ejb.application.contracts.Outcome;
import org.ehrledger.ejb.application.contracts.WorldState;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.ClinicalRecord;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A chart and a patient's own record opened a page at a time: the reads are recorded as for the whole chart, before
 * anything is decrypted, and only the page's records are decrypted; pages follow each other without gaps or repeats,
 * and are what the whole list cut into pages was.
 */
class ChartPagesTest {

    private static final int RECORDS = 200;
    private static final List<Category> CYCLE = List.of(Category.NOTE, Category.OBSERVATION, Category.ALLERGY, Category.CONDITION);

    private final Actors a = new Actors();
    /** Patients with ids as the network issues them (upper case: a practitioner's lookup normalises what is typed). */
    private final Actors.Person alice = a.new Person("P-ALICE", a.hospital, "PATIENT");
    private final Actors.Person bob = a.new Person("P-BOB", a.clinic, "PATIENT");
    private final WorldState state = new WorldState();
    private final Contracts contracts = new Contracts(state);
    private final Map<String, byte[]> contents = new HashMap<>();
    /** Consensus time: from when the actors' certificates were issued (at the real time), one second a block. */
    private long now = Actors.T0;

    private final List<SignedTransaction> submitted = new ArrayList<>();
    private int openedWhenCommitted = -1;

    private final CountingRecords records = new CountingRecords();
    private final PractitionerService practitioners = new PractitionerService();
    private final PatientService patients = new PatientService();

    /** ClinicalRecords counting the records it decrypts (or explains). */
    private static final class CountingRecords extends ClinicalRecords {
        int opened;

        @Override
        public List<Opened> openAll(List<ClinicalRecord> rs, String readerId, UserKeys keys, boolean custodianMay, boolean explain) {
            opened += rs.size();
            return super.openAll(rs, readerId, keys, custodianMay, explain);
        }
    }

    private final class State extends LedgerRuntime {
        @Override
        public <T> T query(Function<WorldState, T> q) {
            return q.apply(state);
        }

        @Override
        public byte[] content(String recordId) {
            return contents.get(recordId);
        }

        @Override
        public Map<String, byte[]> contents(java.util.Collection<String> recordIds) {
            Map<String, byte[]> out = new HashMap<>();
            recordIds.stream().filter(contents::containsKey).forEach(id -> out.put(id, contents.get(id)));
            return out;
        }
    }

    private final class Writer extends LedgerWriter {
        private long height = 100;

        @Override
        public List<Committed> commitAll(List<Signed> txs) {
            openedWhenCommitted = records.opened;
            now += 1_000;
            height++;
            List<Committed> out = new ArrayList<>();
            for (Signed s : txs) {
                submitted.add(SignedTransaction.decode(s.transaction()));
                Outcome o = contracts.execute(s.transaction(), now);
                if (!o.accepted()) {
                    throw new EhrException(ErrorCode.REFUSED, o.reason() + " (refusal recorded in block " + height + ")");
                }
                out.add(new Committed("tx-" + submitted.size(), height, out.size(), null));
            }
            return out;
        }
    }

    private static final class As extends Caller {
        Actors.Person who;

        @Override
        public String id() {
            return who.id;
        }

        @Override
        public UserKeys keys() {
            return who.keys;
        }
    }

    private final As caller = new As();

    private void ok(byte[] tx) {
        Outcome o = contracts.execute(tx, now);
        assertTrue(o.accepted(), o.reason());
    }

    @BeforeEach
    void history() {
        ok(a.genesisOrganisation());
        ok(a.secondOrganisation());
        ok(a.registerStaff(a.admin, a.doctor, TxType.REGISTER_PRACTITIONER));
        ok(a.registerPatient(alice, "st-mary"));
        ok(a.registerPatient(bob, "lakeside"));
        a.secondAdminConfirmsDoctor().forEach(this::ok);
        ok(a.grant(alice, "c-1", "dr-house", 0, "NOTE", "OBSERVATION", "ALLERGY"));
        for (int i = 0; i < RECORDS; i++) {
            if (i % 3 == 0) {
                now += 1_000; // three records a block: equal times, ordered by id
            }
            String id = String.format("r-%03d", i);
            Category c = CYCLE.get(i % CYCLE.size());
            Actors.Submission s = c == Category.CONDITION ? a.addRecord(alice, alice, id, c.name(), alice)
                    : a.addRecord(alice, alice, id, c.name(), alice, a.doctor);
            Outcome o = contracts.execute(s.tx(), s.content(), now);
            assertTrue(o.accepted(), o.reason());
            contents.put(id, s.content());
        }
        now += 1_000;
        ok(a.erase(alice, "r-196", "GDPR Art. 17 request 1"));
        ok(a.erase(alice, "r-101", "GDPR Art. 17 request 2"));
        records.ledger = new State();
        practitioners.caller = caller;
        practitioners.ledger = records.ledger;
        practitioners.writer = new Writer();
        practitioners.records = records;
        patients.caller = caller;
        patients.ledger = records.ledger;
        patients.records = records;
    }

    /** The records the whole list held before paging: every record, newest first, filtered as the API filtered it. */
    private List<String> wholeList(Set<Category> readable, boolean erasedToo, Set<Category> shown, long from, long to) {
        List<ClinicalRecord> all = state.recordsOf(alice.id);
        List<String> out = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            ClinicalRecord r = all.get(i);
            if (readable.contains(r.category()) && (erasedToo || !r.erased()) && shown.contains(r.category())
                    && r.createdAt() >= from && r.createdAt() < to) {
                out.add(r.id());
            }
        }
        return out;
    }

    private static List<String> ids(List<ClinicalRecords.Opened> opened) {
        return opened.stream().map(o -> o.record().id()).toList();
    }

    private static final Set<Category> READ = EnumSet.of(Category.NOTE, Category.OBSERVATION, Category.ALLERGY);

    @Test
    void aPageOfTwentyDecryptsTwentyAfterTheReadsAreRecordedAndThePagesAreTheWholeChartCut() {
        caller.who = a.doctor;
        List<String> whole = wholeList(READ, false, EnumSet.allOf(Category.class), Long.MIN_VALUE, Long.MAX_VALUE);
        assertEquals(RECORDS * 3 / 4 - 2, whole.size(), "conditions are not read, erased records are not shown");

        ClinicalRecords.PageQuery first = new ClinicalRecords.PageQuery(EnumSet.allOf(Category.class), Long.MIN_VALUE,
                Long.MAX_VALUE, null, 20);
        PractitionerService.Chart page = practitioners.chart(alice.id, "follow-up", EnumSet.allOf(Category.class), first);
        assertEquals(20, records.opened, "only the page is decrypted");
        assertEquals(0, openedWhenCommitted, "the reads were committed before anything was decrypted");
        assertEquals(whole.subList(0, 20), ids(page.records()));
        assertTrue(page.records().stream().allMatch(o -> o.field("text").equals("content of " + o.record().id())),
                "decrypted with the practitioner's own key");
        assertEquals(List.of("NOTE", "OBSERVATION", "ALLERGY"), submitted.stream()
                .map(t -> t.type() + " " + t.body().string("category", "") + " " + t.body().string("reason", "")
                        + " " + t.body().string("patient", "") + " " + t.author())
                .map(s -> {
                    assertTrue(s.startsWith(TxType.RECORD_ACCESS + " ") && s.endsWith(" follow-up P-ALICE dr-house"), s);
                    return s.split(" ")[1];
                }).toList(), "one access per category with a basis and records, as the whole chart records");

        List<String> seen = new ArrayList<>(ids(page.records()));
        while (page.next() != null) {
            int before = records.opened;
            page = practitioners.chart(alice.id, "follow-up", EnumSet.allOf(Category.class),
                    new ClinicalRecords.PageQuery(EnumSet.allOf(Category.class), Long.MIN_VALUE, Long.MAX_VALUE, page.next(), 20));
            assertEquals(page.records().size(), records.opened - before);
            seen.addAll(ids(page.records()));
        }
        assertEquals(whole, seen, "the pages follow each other without gaps or repeats");
        assertEquals(new HashSet<>(seen).size(), seen.size());

        int before = records.opened;
        PractitionerService.Chart everything = practitioners.chart(alice.id, "export");
        assertEquals(whole, ids(everything.records()), "the whole chart is what it was");
        assertNull(everything.next());
        assertEquals(whole.size(), records.opened - before);
    }

    @Test
    void aFirstPageCarriesThePatientsPersonalDetailsWhenTheyAreReadButNotOnThePage() {
        caller.who = a.doctor;
        Set<Category> all = EnumSet.allOf(Category.class);
        Set<Category> clinical = EnumSet.complementOf(EnumSet.of(Category.DEMOGRAPHICS));
        PractitionerService.Chart without = practitioners.chart(alice.id, "follow-up", all,
                new ClinicalRecords.PageQuery(clinical, Long.MIN_VALUE, Long.MAX_VALUE, null, 20));
        assertNull(without.personal(), "no personal details on record yet");

        ok(a.grant(alice, "c-2", "dr-house", 0, "DEMOGRAPHICS"));
        now += 1_000;
        Actors.Submission details = a.addRecord(alice, alice, "r-details", Category.DEMOGRAPHICS.name(), alice, a.doctor);
        Outcome recorded = contracts.execute(details.tx(), details.content(), now);
        assertTrue(recorded.accepted(), recorded.reason());
        contents.put("r-details", details.content());

        int before = records.opened;
        PractitionerService.Chart first = practitioners.chart(alice.id, "follow-up", all,
                new ClinicalRecords.PageQuery(clinical, Long.MIN_VALUE, Long.MAX_VALUE, null, 20));
        assertEquals("r-details", first.personal().record().id());
        assertEquals("content of r-details", first.personal().field("text"));
        assertEquals(21, records.opened - before, "the page and the personal details, nothing else");
        assertTrue(ids(first.records()).stream().noneMatch("r-details"::equals));
        assertNull(practitioners.chart(alice.id, "follow-up", all,
                new ClinicalRecords.PageQuery(clinical, Long.MIN_VALUE, Long.MAX_VALUE, first.next(), 20)).personal(),
                "a later page does not repeat them");
        PractitionerService.Chart shown = practitioners.chart(alice.id, "follow-up", all,
                new ClinicalRecords.PageQuery(all, Long.MIN_VALUE, Long.MAX_VALUE, null, 20));
        assertEquals("r-details", shown.records().get(0).record().id(), "the newest entry");
        assertNull(shown.personal(), "on the page already");

        ok(a.revoke(alice, "c-2"));
        assertNull(practitioners.chart(alice.id, "follow-up", all,
                new ClinicalRecords.PageQuery(clinical, Long.MIN_VALUE, Long.MAX_VALUE, null, 20)).personal(),
                "not read without a basis");
    }

    @Test
    void filtersByCategoryAndTimeAreAppliedBeforeDecrypting() {
        caller.who = a.doctor;
        List<ClinicalRecord> all = state.recordsOf(alice.id);
        long from = all.get(30).createdAt();
        long to = all.get(150).createdAt();
        Set<Category> shown = EnumSet.of(Category.OBSERVATION, Category.CONDITION);
        List<String> whole = wholeList(READ, false, shown, from, to);
        List<String> seen = new ArrayList<>();
        String after = null;
        do {
            int before = records.opened;
            PractitionerService.Chart page = practitioners.chart(alice.id, "follow-up", EnumSet.allOf(Category.class),
                    new ClinicalRecords.PageQuery(shown, from, to, after, 7));
            assertEquals(page.records().size(), records.opened - before);
            assertTrue(page.records().size() <= 7);
            seen.addAll(ids(page.records()));
            after = page.next();
        } while (after != null);
        assertEquals(whole, seen);
        assertTrue(!whole.isEmpty() && whole.stream().allMatch(id -> state.record(id).category() == Category.OBSERVATION));

        EhrException bad = assertThrows(EhrException.class, () -> practitioners.chart(alice.id, "follow-up",
                EnumSet.allOf(Category.class), new ClinicalRecords.PageQuery(shown, from, to, "r-nope", 7)));
        assertEquals(ErrorCode.INVALID_INPUT, bad.code());
        assertEquals(ErrorCode.INVALID_INPUT, assertThrows(EhrException.class,
                () -> new ClinicalRecords.PageQuery(shown, from, to, null, 201)).code());
    }

    @Test
    void aReadWithoutAnyBasisIsRecordedAndRefusedAndNothingIsDecrypted() {
        caller.who = a.doctor;
        EhrException refused = assertThrows(EhrException.class, () -> practitioners.chart(bob.id, "curious",
                EnumSet.allOf(Category.class), new ClinicalRecords.PageQuery(EnumSet.allOf(Category.class), Long.MIN_VALUE,
                        Long.MAX_VALUE, null, 20)));
        assertEquals(ErrorCode.REFUSED, refused.code());
        assertEquals(1, submitted.size());
        assertEquals("NOTE", submitted.get(0).body().string("category", ""));
        assertEquals(0, records.opened);
    }

    @Test
    void aPatientsOwnRecordIsOpenedAPageAtATimeErasedRecordsIncluded() {
        caller.who = alice;
        List<String> whole = wholeList(EnumSet.allOf(Category.class), true, EnumSet.allOf(Category.class), Long.MIN_VALUE,
                Long.MAX_VALUE);
        assertEquals(ids(patients.myRecord()), whole, "the whole record, as before");
        int before = records.opened;
        List<String> seen = new ArrayList<>();
        String after = null;
        do {
            int was = records.opened;
            ClinicalRecords.OpenedPage page = patients.record(alice.id,
                    new ClinicalRecords.PageQuery(EnumSet.allOf(Category.class), Long.MIN_VALUE, Long.MAX_VALUE, after, 20));
            assertEquals(page.records().size(), records.opened - was);
            seen.addAll(ids(page.records()));
            after = page.next();
        } while (after != null);
        assertEquals(whole, seen);
        assertEquals(RECORDS, records.opened - before);

        List<String> notes = wholeList(EnumSet.allOf(Category.class), true, EnumSet.of(Category.NOTE), Long.MIN_VALUE,
                Long.MAX_VALUE);
        ClinicalRecords.OpenedPage page = patients.myRecord(new ClinicalRecords.PageQuery(EnumSet.of(Category.NOTE),
                Long.MIN_VALUE, Long.MAX_VALUE, null, 20));
        assertEquals(notes.subList(0, 20), ids(page.records()));
        assertTrue(notes.contains("r-196") && state.record("r-196").erased(), "erased records are listed to the patient");
        assertEquals("Erased", page.records().get(ids(page.records()).indexOf("r-196")).field("title"));
        assertEquals(notes.get(19), page.next());
    }
}

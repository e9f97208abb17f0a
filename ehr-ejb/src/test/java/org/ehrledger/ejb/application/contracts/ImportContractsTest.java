package org.ehrledger.ejb.application.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.ehrledger.ejb.domain.model.record.Import;
import org.junit.jupiter.api.Test;

/** Whole-history imports: staged under an import id, invisible, then published at once, or discarded. */
class ImportContractsTest extends ContractsHarness {

    private static final String BUNDLE = "ab".repeat(32);

    private List<String> stageAll(String importId, Actors.Person author, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = importId + "-r" + i;
            ok(a.stage(importId, author, a.alice, id, "OBSERVATION", a.alice, a.stMaryCustodian));
            ids.add(id);
        }
        return ids;
    }

    @Test
    void stagedRecordsAreReadByNothingUntilOnePublicationShowsThemAllAtOnce() {
        long records = state.recordCount();
        ok(a.beginImport(a.alice, a.alice, "imp-1", BUNDLE, 3));
        List<String> ids = stageAll("imp-1", a.alice, 3);
        for (String id : ids) {
            assertNull(state.record(id), "a staged record is not a record");
            assertEquals(Set.of(), state.readersOf(id), "nor is its key wrapped for anyone yet");
        }
        assertEquals(List.of(), state.recordsOf("pat-alice"), "the patient's records (reads, searches, exports) hold none");
        assertEquals(records, state.recordCount());
        assertEquals(3, state.stagedOf("imp-1").size());
        assertEquals(3, state.importOf("imp-1").staged());

        ok(a.publishImport(a.alice, "imp-1"));
        long publishedAt = now;
        assertEquals(ids, state.recordsOf("pat-alice").stream().map(r -> r.id()).sorted().toList());
        assertTrue(state.recordsOf("pat-alice").stream().allMatch(r -> r.createdAt() == publishedAt), "all created at once");
        assertEquals(Set.of("pat-alice", "org:st-mary"), state.readersOf(ids.get(0)));
        assertEquals(List.of(), state.stagedOf("imp-1"), "nothing stays staged");
        assertTrue(state.importOf("imp-1").published());
    }

    @Test
    void anImportIsPublishedOnlyWhenEveryDeclaredRecordIsStagedAndTakesNoMore() {
        ok(a.beginImport(a.alice, a.alice, "imp-2", BUNDLE, 2));
        stageAll("imp-2", a.alice, 1);
        assertEquals("import imp-2 staged 1 of its 2 records", refused(a.publishImport(a.alice, "imp-2")));
        ok(a.stage("imp-2", a.alice, a.alice, "imp-2-r1", "NOTE", a.alice));
        assertEquals("import imp-2 declared 2 records, all staged already",
                refused(a.stage("imp-2", a.alice, a.alice, "imp-2-r2", "NOTE", a.alice)));
        assertEquals("import imp-2 is pat-alice's", refused(a.publishImport(a.doctor, "imp-2")));
        ok(a.publishImport(a.alice, "imp-2"));
        assertEquals("no open import imp-2", refused(a.publishImport(a.alice, "imp-2")));
    }

    @Test
    void aPublishedImportIsNeverBegunAgainSoTheSameBundleCreatesNothingNew() {
        ok(a.beginImport(a.alice, a.alice, "imp-3", BUNDLE, 1));
        stageAll("imp-3", a.alice, 1);
        ok(a.publishImport(a.alice, "imp-3"));
        long records = state.recordCount();
        assertEquals("import imp-3 was published already", refused(a.beginImport(a.alice, a.alice, "imp-3", BUNDLE, 1)));
        assertEquals("record imp-3-r0 already exists", refused(a.addRecord(a.alice, a.alice, "imp-3-r0", "NOTE", a.alice)));
        assertEquals(records, state.recordCount());
    }

    @Test
    void anAbortedImportLeavesNothingAndItsCiphertextIsDestroyed() {
        ok(a.beginImport(a.alice, a.alice, "imp-4", BUNDLE, 3));
        List<String> ids = stageAll("imp-4", a.alice, 2);
        state.takeErasures();
        assertEquals("only the author or the patient of import imp-4 aborts it", refused(a.abortImport(a.bob, "imp-4")));
        ok(a.abortImport(a.alice, "imp-4"));
        assertEquals(ids, state.takeErasures(), "the off-chain store is told to destroy the staged ciphertexts");
        assertEquals(List.of(), state.stagedOf("imp-4"));
        assertNull(state.importOf("imp-4"));
        assertEquals(List.of(), state.recordsOf("pat-alice"));
        assertEquals("no open import imp-4", refused(a.stage("imp-4", a.alice, a.alice, "late", "NOTE", a.alice)));
        ok(a.beginImport(a.alice, a.alice, "imp-4", BUNDLE, 1)); // the same bundle may be sent again
    }

    @Test
    void anImportIdleBeyondItsExpiryTakesNothingMoreAndIsDiscardedByTheNextBeginning() {
        ok(a.beginImport(a.alice, a.alice, "imp-5", BUNDLE, 2));
        stageAll("imp-5", a.alice, 1);
        now += Import.EXPIRY_MILLIS;
        assertTrue(refused(a.stage("imp-5", a.alice, a.alice, "imp-5-r1", "NOTE", a.alice)).startsWith("import imp-5 expired"));
        assertTrue(refused(a.publishImport(a.alice, "imp-5")).startsWith("import imp-5 expired"));
        assertEquals(1, state.stagedOf("imp-5").size(), "discarded by a transaction, not by a clock");
        ok(a.beginImport(a.bob, a.bob, "imp-6", BUNDLE, 1));
        assertEquals(List.of(), state.stagedOf("imp-5"));
        assertNull(state.importOf("imp-5"));
        assertEquals(List.of(), state.recordsOf("pat-alice"));
    }

    @Test
    void importsAreBoundedPerAuthorAndInSize() {
        assertEquals("an import holds 1 to " + Import.MAX_RECORDS + " records",
                refused(a.beginImport(a.alice, a.alice, "big", BUNDLE, Import.MAX_RECORDS + 1)));
        assertEquals("an import names its bundle by the hex SHA-256 of its bytes",
                refused(a.beginImport(a.alice, a.alice, "x", "not-a-hash", 1)));
        ok(a.beginImport(a.alice, a.alice, "one", BUNDLE, 1));
        ok(a.beginImport(a.alice, a.alice, "two", BUNDLE, 1));
        assertEquals("at most 2 imports of one author are open at a time", refused(a.beginImport(a.alice, a.alice, "three", BUNDLE, 1)));
        assertEquals("import one is under way", refused(a.beginImport(a.alice, a.alice, "one", BUNDLE, 1)));
        ok(a.abortImport(a.alice, "one"));
        ok(a.beginImport(a.alice, a.alice, "three", BUNDLE, 1));
    }

    @Test
    void onlyThePatientOrAPractitionerUnderConsentImportsAndAConsentRevokedBeforePublicationStopsIt() {
        assertEquals("a patient imports only their own records; staff import as practitioners",
                refused(a.beginImport(a.biller, a.alice, "imp-b", BUNDLE, 1)));
        ok(a.beginImport(a.doctor, a.alice, "imp-d", BUNDLE, 2));
        assertTrue(refused(a.stage("imp-d", a.doctor, a.alice, "d-0", "OBSERVATION", a.alice)).contains("consent"));
        ok(a.grant(a.alice, "c-1", "dr-house", 0, "OBSERVATION"));
        ok(a.stage("imp-d", a.doctor, a.alice, "d-0", "OBSERVATION", a.alice, a.doctor));
        assertEquals("import imp-d is dr-house's", refused(a.stage("imp-d", a.alice, a.alice, "d-1", "OBSERVATION", a.alice)));
        ok(a.stage("imp-d", a.doctor, a.alice, "d-1", "OBSERVATION", a.alice, a.doctor));
        ok(a.revoke(a.alice, "c-1"));
        assertTrue(refused(a.publishImport(a.doctor, "imp-d")).contains("consent"));
        assertEquals(List.of(), state.recordsOf("pat-alice"));
        ok(a.abortImport(a.alice, "imp-d")); // the patient discards what they no longer consent to
    }

    @Test
    void stagedRowsArePartOfTheStateDigestAndEveryReplicaReachesTheSame() {
        List<Actors.Submission> history = new ArrayList<>();
        for (byte[] tx : List.of(a.genesisOrganisation(), a.secondOrganisation(),
                a.registerStaff(a.admin, a.doctor, org.ehrledger.ejb.domain.model.tx.TxType.REGISTER_PRACTITIONER),
                a.registerPatient(a.alice, "st-mary"))) {
            history.add(new Actors.Submission(tx, null));
        }
        int before = history.size();
        history.add(new Actors.Submission(a.beginImport(a.alice, a.alice, "imp-7", BUNDLE, 2), null));
        history.add(a.stage("imp-7", a.alice, a.alice, "imp-7-r0", "NOTE", a.alice));
        history.add(a.stage("imp-7", a.alice, a.alice, "imp-7-r1", "CONDITION", a.alice));
        history.add(new Actors.Submission(a.publishImport(a.alice, "imp-7"), null));
        WorldState one = new WorldState();
        WorldState two = new WorldState();
        List<org.ehrledger.consensus.codec.Digest> digests = new ArrayList<>();
        for (WorldState replica : List.of(one, two)) {
            Contracts c = new Contracts(replica);
            long t = Actors.T0;
            for (int i = 0; i < history.size(); i++) {
                t += 1_000;
                Outcome o = c.execute(history.get(i).tx(), history.get(i).content(), t);
                assertTrue(o.accepted(), o.reason());
                if (replica == one) {
                    digests.add(one.digest());
                } else {
                    assertEquals(digests.get(i), two.digest(), "step " + i);
                }
            }
        }
        assertNotEquals(digests.get(before), digests.get(before + 1), "a staged row changes the state digest");
        assertEquals(2, one.recordsOf("pat-alice").size());
    }
}

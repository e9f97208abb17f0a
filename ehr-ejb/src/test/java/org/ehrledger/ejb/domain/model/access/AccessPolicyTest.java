package org.ehrledger.ejb.domain.model.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.ehrledger.ejb.domain.model.record.AccessBasis;
import org.ehrledger.ejb.domain.model.record.BreakGlass;
import org.ehrledger.ejb.domain.model.record.Category;
import org.ehrledger.ejb.domain.model.record.Consent;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.domain.model.registry.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Who may read which category of whose records, and why: the policy alone, over facts held in maps. */
class AccessPolicyTest {

    private static final long T = 1_800_000_000_000L;
    /** An emergency declared at T - 10 s, in force until T + 50 s. */
    private static final EmergencyState EMERGENCY = new EmergencyState(true, "mass casualty event", T - 10_000,
            T + 50_000, Set.of("admin-1", "admin-2"));

    /** Facts in maps: the network of every case below. */
    static final class Network implements AccessPolicy.Facts {
        final Map<String, User> users = new TreeMap<>();
        final Map<String, Organisation> organisations = new TreeMap<>();
        final List<Consent> consents = new ArrayList<>();
        final List<BreakGlass> grants = new ArrayList<>();
        EmergencyState emergency = EmergencyState.NONE;

        Network() {
            organisations.put("st-mary", new Organisation("st-mary", "St Mary", new byte[] {1}, new byte[] {42}));
            organisations.put("lakeside", new Organisation("lakeside", "Lakeside", new byte[] {2}, null));
            user("pat-alice", Role.PATIENT, "st-mary", false);
            user("pat-bob", Role.PATIENT, "lakeside", false);
            user("dr-house", Role.PRACTITIONER, "st-mary", false);
            user("dr-wilson", Role.PRACTITIONER, "lakeside", false);
            user("dr-gone", Role.PRACTITIONER, "st-mary", true);
            user("bill-1", Role.BILLING, "st-mary", false);
            user("admin-1", Role.ADMIN, "st-mary", false);
            consents.add(new Consent("c-1", "pat-alice", "dr-house", Set.of(Category.NOTE, Category.PRESCRIPTION), 0, false));
            consents.add(new Consent("c-2", "pat-alice", "org:lakeside", Set.of(Category.ALLERGY), T + 1_000, false));
            consents.add(new Consent("c-3", "pat-alice", "bill-1", Set.of(Category.PRESCRIPTION, Category.NOTE), 0, false));
            consents.add(new Consent("c-4", "pat-alice", "dr-wilson", Set.of(Category.CONDITION), 0, true));
            consents.add(new Consent("c-5", "pat-alice", "dr-gone", Set.of(Category.NOTE), 0, false));
            consents.add(new Consent("c-6", "pat-alice", "pat-bob", Set.of(Category.NOTE), 0, false));
            consents.add(new Consent("c-7", "pat-alice", "admin-1", Set.of(Category.NOTE), 0, false));
            grants.add(new BreakGlass("pat-bob", "dr-wilson", "unconscious in the ER", T - 10_000, T + 100_000));
            grants.add(new BreakGlass("pat-bob", "dr-house", "unconscious last week", T - 100_000, T - 1));
        }

        private void user(String id, Role role, String organisation, boolean revoked) {
            users.put(id, new User(id, role, organisation, new byte[] {(byte) id.length()}, id.getBytes(), revoked));
        }

        @Override
        public User user(String id) {
            return users.get(id);
        }

        @Override
        public Organisation organisation(String id) {
            return organisations.get(id);
        }

        @Override
        public List<Consent> consentsOf(String patient) {
            return consents.stream().filter(c -> c.patient().equals(patient)).sorted(Comparator.comparing(Consent::id)).toList();
        }

        @Override
        public List<Consent> consentsNaming(String grantee) {
            return consents.stream().filter(c -> c.grantee().equals(grantee)).sorted(Comparator.comparing(Consent::id)).toList();
        }

        @Override
        public List<BreakGlass> breakGlassOf(String patient) {
            return grants.stream().filter(g -> g.patient().equals(patient)).toList();
        }

        @Override
        public EmergencyState emergency() {
            return emergency;
        }
    }

    /** One row of the table: who reads which category of whose record, when, during an emergency or not. */
    private static Arguments row(String rule, String reader, String patient, Category category, long at, boolean emergency,
                                 AccessBasis expected) {
        return Arguments.of(rule, reader, patient, category, at, emergency, expected);
    }

    /** The same row for every category. */
    private static Stream<Arguments> everyCategory(String rule, String reader, String patient, long at, boolean emergency,
                                                   AccessBasis expected) {
        return Arrays.stream(Category.values()).map(c -> row(rule + " (" + c + ")", reader, patient, c, at, emergency, expected));
    }

    static Stream<Arguments> table() {
        return Stream.of(
                everyCategory("a patient reads every category of their own record", "pat-alice", "pat-alice", T, false,
                        AccessBasis.OWNER),
                everyCategory("a patient reads nothing of another patient's record, even with a consent naming them",
                        "pat-bob", "pat-alice", T, false, null),
                everyCategory("an open break-glass grant lets its practitioner read every category of that patient",
                        "dr-wilson", "pat-bob", T, false, AccessBasis.BREAK_GLASS),
                everyCategory("during the emergency state every practitioner reads every category", "dr-house", "pat-bob", T,
                        true, AccessBasis.EMERGENCY),
                everyCategory("an administrator reads nothing, even with a consent or during the emergency", "admin-1",
                        "pat-alice", T, true, null),
                Stream.of(
                        row("a practitioner reads a category their consent covers", "dr-house", "pat-alice", Category.NOTE, T,
                                false, AccessBasis.CONSENT),
                        row("a practitioner reads no category their consent leaves out", "dr-house", "pat-alice",
                                Category.ALLERGY, T, false, null),
                        row("a consent to an organisation covers its practitioners", "dr-wilson", "pat-alice", Category.ALLERGY,
                                T, false, AccessBasis.CONSENT),
                        row("a consent to an organisation covers no other organisation's practitioners", "dr-house",
                                "pat-alice", Category.ALLERGY, T, false, null),
                        row("an expired consent gives nothing", "dr-wilson", "pat-alice", Category.ALLERGY, T + 1_000, false,
                                null),
                        row("a revoked consent gives nothing", "dr-wilson", "pat-alice", Category.CONDITION, T, false, null),
                        row("billing staff read a billing-relevant category under a consent", "bill-1", "pat-alice",
                                Category.PRESCRIPTION, T, false, AccessBasis.CONSENT),
                        row("billing staff never read a clinical note, even under a consent", "bill-1", "pat-alice",
                                Category.NOTE, T, false, null),
                        row("billing staff read nothing without a consent", "bill-1", "pat-bob", Category.PRESCRIPTION, T,
                                false, null),
                        row("billing staff get nothing from the emergency state", "bill-1", "pat-bob", Category.PRESCRIPTION,
                                T, true, null),
                        row("a revoked practitioner reads nothing, even under a consent", "dr-gone", "pat-alice", Category.NOTE,
                                T, false, null),
                        row("a revoked practitioner reads nothing during the emergency", "dr-gone", "pat-bob", Category.NOTE,
                                T, true, null),
                        row("an expired break-glass grant gives nothing", "dr-house", "pat-bob", Category.NOTE, T, false, null),
                        row("a break-glass grant is for its patient only", "dr-wilson", "pat-alice", Category.NOTE, T, false,
                                null),
                        row("a break-glass grant gives nothing before it opened", "dr-wilson", "pat-bob", Category.NOTE,
                                T - 20_000, false, null),
                        row("a break-glass grant gives nothing once it closed", "dr-wilson", "pat-bob", Category.NOTE,
                                T + 100_000, false, null),
                        row("an ended emergency gives nothing", "dr-house", "pat-bob", Category.NOTE, T + 50_000, true, null),
                        row("an emergency gives nothing before it was declared", "dr-house", "pat-alice", Category.ALLERGY,
                                T - 20_000, true, null),
                        row("a consent is the basis before the emergency", "dr-house", "pat-alice", Category.NOTE, T, true,
                                AccessBasis.CONSENT),
                        row("a break-glass grant is the basis before the emergency", "dr-wilson", "pat-bob", Category.NOTE, T,
                                true, AccessBasis.BREAK_GLASS),
                        row("an unknown reader reads nothing", "nobody", "pat-alice", Category.NOTE, T, true, null)))
                .flatMap(s -> s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decidesWhoReadsWhatAndWhy(String rule, String reader, String patient, Category category, long at, boolean emergency,
                                   AccessBasis expected) {
        Network facts = new Network();
        if (emergency) {
            facts.emergency = EMERGENCY;
        }
        assertEquals(expected, new AccessPolicy(facts).basis(reader, patient, category, at), rule);
    }

    @Test
    void aNewRecordIsWrappedForThePatientItsAuthorTheReadersOfItsConsentsAndTheCustodian() {
        AccessPolicy policy = new AccessPolicy(new Network());
        assertEquals(List.of("dr-house", "org:st-mary", "pat-alice"),
                List.copyOf(policy.keyReaders("pat-alice", "dr-house", Category.NOTE, T).keySet()),
                "billing staff, a revoked practitioner, another patient and an administrator get no wrap of a note");
        assertEquals(List.of("bill-1", "dr-house", "org:st-mary", "pat-alice"),
                List.copyOf(policy.keyReaders("pat-alice", "pat-alice", Category.PRESCRIPTION, T).keySet()));
        assertEquals(List.of("dr-wilson", "pat-bob"), List.copyOf(policy.keyReaders("pat-bob", "dr-wilson", Category.NOTE, T)
                .keySet()), "a break-glass author holds a wrap of what they write; Lakeside registered no custodian key");
        assertTrue(Arrays.equals("dr-house".getBytes(), policy.keyReaders("pat-alice", "dr-house", Category.NOTE, T).get("dr-house")),
                "each reader's wrap is for their own encryption key");
        assertEquals(List.of(), policy.consentReaders("pat-alice", Category.ALLERGY, T),
                "a consent to a whole organisation is served by its custodian, not by wraps for each user");
    }

    @Test
    void onlyReadersLeftWithoutABasisLoseTheirKeyWhenAConsentEnds() {
        Network facts = new Network();
        AccessPolicy policy = new AccessPolicy(facts);
        assertTrue(policy.keepsKey("dr-house", "pat-alice", Category.NOTE, T));
        facts.consents.set(0, facts.consents.get(0).revoke());
        assertFalse(policy.keepsKey("dr-house", "pat-alice", Category.NOTE, T));
        assertTrue(policy.keepsKey("pat-alice", "pat-alice", Category.NOTE, T), "the patient keeps their own");
        assertTrue(policy.keepsKey("org:st-mary", "pat-alice", Category.NOTE, T), "the custodian serves only committed reads");
        assertFalse(policy.keepsKey("nobody", "pat-alice", Category.NOTE, T));
        facts.emergency = EMERGENCY;
        assertTrue(policy.keepsKey("dr-house", "pat-alice", Category.NOTE, T), "another basis in force keeps it");
    }

    @Test
    void theConsentsGrantedToAUserAreThoseInForceNamingThemOrTheirOrganisation() {
        Network facts = new Network();
        AccessPolicy policy = new AccessPolicy(facts);
        assertEquals(List.of("c-2"), policy.consentsGrantedTo(facts.user("dr-wilson"), T).stream().map(Consent::id).toList(),
                "the revoked consent naming dr-wilson is left out");
        assertEquals(List.of(), policy.consentsGrantedTo(facts.user("dr-wilson"), T + 1_000), "expired");
        assertEquals(List.of("c-1"), policy.consentsGrantedTo(facts.user("dr-house"), T).stream().map(Consent::id).toList());
    }

    @Test
    void theLongestOpenBreakGlassGrantIsTheOneThatCounts() {
        Network facts = new Network();
        facts.grants.add(new BreakGlass("pat-bob", "dr-wilson", "still in theatre", T - 5_000, T + 200_000));
        AccessPolicy policy = new AccessPolicy(facts);
        assertEquals(T + 200_000, policy.openBreakGlass("dr-wilson", "pat-bob", T).until());
        assertEquals(T + 200_000, policy.openBreakGlass("dr-wilson", "pat-bob", T + 150_000).until());
        assertNull(policy.openBreakGlass("dr-house", "pat-bob", T), "dr-house's grant closed");
    }

    @Test
    void onlyPractitionersAndBillingStaffCanBeGivenAConsentThatLetsThemRead() {
        assertTrue(AccessPolicy.readsUnderSomeConsent(Role.PRACTITIONER));
        assertTrue(AccessPolicy.readsUnderSomeConsent(Role.BILLING));
        assertFalse(AccessPolicy.readsUnderSomeConsent(Role.ADMIN));
        assertFalse(AccessPolicy.readsUnderSomeConsent(Role.PATIENT));
    }

    @Test
    void aRefusalSaysWhatTheReaderCanDoAboutIt() {
        Network facts = new Network();
        assertEquals("administrators cannot read or write clinical content",
                AccessPolicy.refusal(facts.user("admin-1"), Category.NOTE, "pat-alice"));
        assertEquals("a patient reads only their own record, not the record of pat-alice",
                AccessPolicy.refusal(facts.user("pat-bob"), Category.NOTE, "pat-alice"));
        assertEquals("billing staff see only billing-relevant items under a billing consent of pat-bob",
                AccessPolicy.refusal(facts.user("bill-1"), Category.NOTE, "pat-bob"));
        assertEquals("no consent of pat-bob covers NOTE for dr-house; ask the patient for consent, or open break-glass access"
                + " with a reason", AccessPolicy.refusal(facts.user("dr-house"), Category.NOTE, "pat-bob"));
    }

    @Test
    void anOrganisationsGroupIsThePatientsWhoConsentedToItWholeAndAnExportOfItNeedsAConsentForEveryCategory() {
        Network facts = new Network();
        facts.user("pat-carol", Role.PATIENT, "st-mary", false);
        facts.user("pat-dan", Role.PATIENT, "st-mary", false);
        facts.consents.add(new Consent("c-8", "pat-carol", "org:lakeside", Set.of(Category.OBSERVATION, Category.NOTE), 0, false));
        facts.consents.add(new Consent("c-9", "pat-dan", "org:lakeside", Set.of(Category.OBSERVATION), 0, true));
        AccessPolicy policy = new AccessPolicy(facts);
        assertEquals(List.of("pat-alice", "pat-carol"), List.copyOf(policy.patientsConsentingTo("lakeside", T)),
                "consents to the whole organisation in force, in patient order (a revoked one does not count)");
        assertEquals(List.of("pat-carol"), List.copyOf(policy.patientsConsentingTo("lakeside", T + 1_000)), "expired");
        assertTrue(policy.patientsConsentingTo("st-mary", T).isEmpty(), "a consent to one practitioner is not to the organisation");

        User wilson = facts.user("dr-wilson");
        assertEquals(Set.of(), policy.notConsented(wilson, "pat-carol", Set.of(Category.OBSERVATION, Category.NOTE), T));
        assertEquals(Set.of(Category.OBSERVATION), policy.notConsented(wilson, "pat-alice", Set.of(Category.OBSERVATION,
                Category.ALLERGY), T));
        facts.emergency = EMERGENCY;
        assertEquals(Set.of(Category.OBSERVATION), policy.notConsented(wilson, "pat-alice", Set.of(Category.OBSERVATION), T),
                "the emergency state lets a practitioner read, but is no consent");
        assertEquals(Set.of(Category.NOTE), policy.notConsented(wilson, "pat-bob", Set.of(Category.NOTE), T),
                "nor is break-glass");
    }
}

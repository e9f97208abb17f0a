package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.IValidatorModule;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/**
 * A bundle too large for one request is validated entry by entry ({@link Transactions#validate}): each invalid entry
 * is named by its index, in the order of the entries; the warnings of valid entries go back with their index; a
 * bundle full of errors lists those of its first entries and stops validating. The entries are validated a chunk at a
 * time (one run of HAPI's validator each), not one by one.
 */
class BundleValidationTest {

    private static final String US_CORE_LAB = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";

    /** A transaction bundle of a patient and {@code n} lab results about them, referring to the patient by urn:uuid. */
    private static Bundle history(int n) {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        String patient = "urn:uuid:" + UUID.randomUUID();
        add(b, patient, new Patient().setActive(true));
        for (int i = 0; i < n; i++) {
            Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                    .setCode(new CodeableConcept(new Coding("http://loinc.org", "4548-4", "Hemoglobin A1c")))
                    .setSubject(new Reference(patient));
            add(b, "urn:uuid:" + UUID.randomUUID(), o);
        }
        return b;
    }

    private static void add(Bundle b, String fullUrl, Resource r) {
        b.addEntry().setFullUrl(fullUrl).setResource(r).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl(r.fhirType());
    }

    private static List<String> expressions(FhirException e) {
        List<String> at = new ArrayList<>();
        for (OperationOutcome.OperationOutcomeIssueComponent issue : e.outcome().getIssue()) {
            assertEquals(OperationOutcome.IssueSeverity.ERROR, issue.getSeverity());
            assertEquals("INVALID_RESOURCE", issue.getDetails().getCodingFirstRep().getCode());
            at.add(issue.getExpression().get(0).getValue());
        }
        return at;
    }

    @Test
    void eachInvalidEntryIsNamedInTheOrderOfTheBundleAndAValidOneIsNot() {
        Bundle b = history(180);
        ((Observation) b.getEntry().get(170).getResource()).setStatus(null);
        ((Observation) b.getEntry().get(3).getResource()).setStatus(null);
        b.getEntry().set(90, new Bundle.BundleEntryComponent().setFullUrl("urn:uuid:" + UUID.randomUUID())
                .setResource(new Claim().setStatus(Claim.ClaimStatus.ACTIVE))); // a type not parsed up front, without its type, use, ...
        b.getEntry().get(90).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Claim");
        ImportJobs.Progress progress = new ImportJobs.Progress(b.getEntry().size());

        FhirException e = assertThrows(FhirException.class, () -> Transactions.validate(b, progress));
        assertEquals(422, e.status());
        List<String> at = expressions(e);
        assertTrue(at.get(0).startsWith("Bundle.entry[3].Observation"), at::toString);
        assertTrue(at.stream().filter(x -> x.startsWith("Bundle.entry[90].Claim")).count() >= 5, at::toString);
        assertTrue(at.get(at.size() - 1).startsWith("Bundle.entry[170].Observation"), at::toString);
        assertEquals(List.of("Bundle.entry[3]", "Bundle.entry[90]", "Bundle.entry[170]"),
                at.stream().map(x -> x.substring(0, x.indexOf(']') + 1)).distinct().toList(), "each named once, in order");
        assertEquals(b.getEntry().size(), progress.validated.get(), "every entry was checked");
    }

    @Test
    void aValidHistoryPassesWithTheWarningsOfItsEntriesInOrder() {
        Bundle b = history(150);
        b.getEntry().get(140).getResource().getMeta().addProfile(US_CORE_LAB);
        b.getEntry().get(20).getResource().getMeta().addProfile(US_CORE_LAB);
        Fhir.Findings f = Transactions.validate(b, new ImportJobs.Progress(b.getEntry().size()));
        assertEquals(List.of(), f.errors());
        assertEquals(2, f.warnings().size(), () -> f.warnings().toString());
        assertTrue(f.warnings().get(0).getLocationString().startsWith("Bundle.entry[20]."), f.warnings().get(0).getLocationString());
        assertTrue(f.warnings().get(1).getLocationString().startsWith("Bundle.entry[140]."), f.warnings().get(1).getLocationString());
        assertTrue(f.warnings().get(0).getMessage().contains(US_CORE_LAB), f.warnings().get(0).getMessage());
    }

    @Test
    void aHistoryFullOfErrorsListsThoseOfTheFirstEntriesOnly() {
        Bundle b = history(400);
        b.getEntry().forEach(e -> {
            if (e.getResource() instanceof Observation o) {
                o.setStatus(null); // one error each
            }
        });
        ImportJobs.Progress progress = new ImportJobs.Progress(b.getEntry().size());
        List<String> at = expressions(assertThrows(FhirException.class, () -> Transactions.validate(b, progress)));
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            expected.add("Bundle.entry[" + i + "]");
        }
        assertEquals(expected, at.stream().map(x -> x.substring(0, x.indexOf(']') + 1)).toList(), "the first 100 errors, entry by entry");
        assertTrue(progress.validated.get() < b.getEntry().size(), "validation stopped early: " + progress.validated.get());
    }

    @Test
    void helpersValidateChunksBesideTheCallerAndTheFindingsStillComeInOrder() {
        Bundle b = history(700);
        for (int i : new int[] {42, 333, 690}) {
            ((Observation) b.getEntry().get(i).getResource()).setStatus(null);
        }
        int n = b.getEntry().size();
        List<String> alone = expressions(assertThrows(FhirException.class, () -> Transactions.validate(b, new ImportJobs.Progress(n))));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Set<Thread> validating = ConcurrentHashMap.newKeySet();
        IValidatorModule who = ctx -> validating.add(Thread.currentThread());
        Fhir.validator().registerValidatorModule(who);
        try {
            ImportJobs.Progress progress = new ImportJobs.Progress(n, pool);
            List<String> helped = expressions(assertThrows(FhirException.class, () -> Transactions.validate(b, progress)));
            assertEquals(alone, helped, "the same errors, in the order of the entries");
            assertEquals(List.of("Bundle.entry[42]", "Bundle.entry[333]", "Bundle.entry[690]"),
                    helped.stream().map(x -> x.substring(0, x.indexOf(']') + 1)).distinct().toList());
            assertEquals(n, progress.validated.get(), "every entry was checked");
            assertTrue(validating.contains(Thread.currentThread()) && validating.size() >= 2,
                    "the caller and a helper validated: " + validating);

            // A history full of errors: the first 100, in order, and the chunks not started are not validated.
            b.getEntry().forEach(e -> {
                if (e.getResource() instanceof Observation o) {
                    o.setStatus(null);
                }
            });
            ImportJobs.Progress stopped = new ImportJobs.Progress(n, pool);
            List<String> first = expressions(assertThrows(FhirException.class, () -> Transactions.validate(b, stopped)));
            assertEquals(100, first.size());
            assertEquals("Bundle.entry[100]", first.get(99).substring(0, first.get(99).indexOf(']') + 1));
            assertTrue(stopped.validated.get() < n, "validation stopped early: " + stopped.validated.get());
        } finally {
            Fhir.validator().unregisterValidatorModule(who);
            pool.shutdownNow();
        }
    }

    /** What {@code work} answers, and how many times HAPI's validator ran on this thread meanwhile. */
    private static <T> T counting(AtomicInteger runs, Supplier<T> work) {
        FhirValidator v = Fhir.validator();
        Thread me = Thread.currentThread();
        IValidatorModule counter = ctx -> {
            if (Thread.currentThread() == me) {
                runs.incrementAndGet();
            }
        };
        v.registerValidatorModule(counter);
        try {
            return work.get();
        } finally {
            v.unregisterValidatorModule(counter);
        }
    }

    @Test
    void aLargeHistoryIsValidatedAChunkOfEntriesAtATimeNotEntryByEntry() {
        Bundle b = history(400);
        ((Observation) b.getEntry().get(250).getResource()).setStatus(null);
        AtomicInteger runs = new AtomicInteger();
        ImportJobs.Progress progress = new ImportJobs.Progress(b.getEntry().size());
        FhirException e = assertThrows(FhirException.class, () -> counting(runs, () -> Transactions.validate(b, progress)));
        assertEquals(List.of("Bundle.entry[250]"), expressions(e).stream().map(x -> x.substring(0, x.indexOf(']') + 1)).distinct().toList());
        assertEquals(b.getEntry().size(), progress.validated.get());
        int chunks = (b.getEntry().size() + Fhir.CHUNK_ENTRIES - 1) / Fhir.CHUNK_ENTRIES;
        assertEquals(chunks, runs.get(), "401 small entries, " + Fhir.CHUNK_ENTRIES + " per validation");
    }

    @Test
    void largeEntriesMakeSmallerChunksAndEachIsStillNamedByItsIndex() {
        Bundle b = history(150);
        String long_ = "x".repeat(Fhir.CHUNK_CHARS * 2 / 3); // a long report: two do not fit one chunk
        for (int i : new int[] {10, 11, 12}) {
            ((Observation) b.getEntry().get(i).getResource()).addNote().setText(long_);
        }
        ((Observation) b.getEntry().get(9).getResource()).setStatus(null);
        ((Observation) b.getEntry().get(11).getResource()).setStatus(null);
        ((Observation) b.getEntry().get(13).getResource()).setStatus(null);
        AtomicInteger runs = new AtomicInteger();
        FhirException e = assertThrows(FhirException.class,
                () -> counting(runs, () -> Transactions.validate(b, new ImportJobs.Progress(b.getEntry().size()))));
        assertEquals(List.of("Bundle.entry[9].Observation", "Bundle.entry[11].Observation", "Bundle.entry[13].Observation"),
                expressions(e).stream().map(x -> x.substring(0, x.indexOf(']') + 13)).toList());
        assertEquals(4, runs.get(), "entries 0-10, then 11 alone, then 12-111, then 112-150");
    }
}

package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Predicate;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/** The searches clinical apps make on a record type's content: code, category, status, clinical status, date, _sort. */
class SearchTest {

    private static Observation lab(String id, String loinc, String category, String effective) {
        Observation o = new Observation().setStatus(Observation.ObservationStatus.FINAL)
                .setCode(new CodeableConcept(new Coding("http://loinc.org", loinc, null)))
                .setEffective(new DateTimeType(effective));
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", category, null)));
        o.setId("Observation/" + id);
        return o;
    }

    private static final List<Observation> LABS = List.of(lab("a", "4548-4", "laboratory", "2026-03-01T09:00:00Z"),
            lab("b", "2339-0", "laboratory", "2026-03-05T09:00:00Z"), lab("c", "29463-7", "vital-signs", "2026-02-10"));

    private static List<String> find(String type, List<? extends Resource> all, String... kv) {
        MultivaluedMap<String, String> q = new MultivaluedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            q.add(kv[i], kv[i + 1]);
        }
        Predicate<Resource> match = Search.content(type, q);
        var sort = Search.sort(type, q.getFirst("_sort"));
        var found = all.stream().map(r -> (Resource) r).filter(match);
        return (sort == null ? found : found.sorted(sort)).map(r -> r.getIdElement().getIdPart()).toList();
    }

    @Test
    void tokensMatchBySystemAndCodeByCodeAloneAndAnyOfSeveral() {
        assertEquals(List.of("a"), find("Observation", LABS, "code", "http://loinc.org|4548-4"));
        assertEquals(List.of("a"), find("Observation", LABS, "code", "4548-4"));
        assertEquals(List.of(), find("Observation", LABS, "code", "http://snomed.info/sct|4548-4"));
        assertEquals(List.of(), find("Observation", LABS, "code", "|4548-4"), "|code is a code without a system");
        assertEquals(List.of("a", "b", "c"), find("Observation", LABS, "code", "http://loinc.org|"));
        assertEquals(List.of("a", "c"), find("Observation", LABS, "code", "4548-4,29463-7"));
        assertEquals(List.of("a", "b"), find("Observation", LABS, "category", "laboratory"));
        assertEquals(List.of("a", "b", "c"), find("Observation", LABS, "status", "final"));
        assertEquals(List.of("b"), find("Observation", LABS, "category", "laboratory", "code", "2339-0"), "all must hold");
    }

    @Test
    void missingFindsResourcesWithoutTheElementsOfAParameterOrWithThem() {
        Observation during = lab("d", "8867-4", "vital-signs", "2026-03-01");
        during.setEncounter(new org.hl7.fhir.r4.model.Reference("Encounter/R-AAAAA-BBBBB-CCCCC-DDDDD"));
        Observation undated = lab("e", "8867-4", "vital-signs", "2026-03-01").setEffective(null);
        List<Observation> all = List.of(LABS.get(0), during, undated);
        assertEquals(List.of("a", "e"), find("Observation", all, "encounter:missing", "true"));
        assertEquals(List.of("d"), find("Observation", all, "encounter:missing", "false"));
        assertEquals(List.of("e"), find("Observation", all, "date:missing", "true"));
        assertEquals(List.of("e"), find("Observation", all, "date:missing", "true", "code", "8867-4"), "with the others, all must hold");
        assertEquals(400, assertThrows(FhirException.class, () -> find("Observation", all, "encounter:missing", "maybe")).status());
    }

    @Test
    void theEncounterIsFoundByIdOrReference() {
        Observation during = lab("d", "8867-4", "vital-signs", "2026-03-01");
        during.setEncounter(new org.hl7.fhir.r4.model.Reference("Encounter/R-AAAAA-BBBBB-CCCCC-DDDDD"));
        List<Observation> all = List.of(LABS.get(0), during);
        assertEquals(List.of("d"), find("Observation", all, "encounter", "R-AAAAA-BBBBB-CCCCC-DDDDD"));
        assertEquals(List.of("d"), find("Observation", all, "encounter", "Encounter/R-AAAAA-BBBBB-CCCCC-DDDDD"));
        assertEquals(List.of(), find("Observation", all, "encounter", "R-OTHER"));
    }

    @Test
    void datesMatchWithPrefixesAndSortBothWays() {
        assertEquals(List.of("a", "b"), find("Observation", LABS, "date", "ge2026-03-01"));
        assertEquals(List.of("c"), find("Observation", LABS, "date", "2026-02"));
        assertEquals(List.of("b", "a", "c"), find("Observation", LABS, "_sort", "-date"));
        assertEquals(List.of("c", "a", "b"), find("Observation", LABS, "_sort", "date"));
        assertThrows(FhirException.class, () -> Search.sort("Observation", "code"));

        Condition withPeriod = new Condition().setClinicalStatus(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)));
        withPeriod.setOnset(new Period().setStart(new DateTimeType("2019-04-02").getValue()));
        withPeriod.setId("Condition/p");
        Condition resolved = new Condition().setClinicalStatus(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", null)));
        resolved.setId("Condition/r");
        assertEquals(List.of("p"), find("Condition", List.of(withPeriod, resolved), "clinical-status", "active"));
        assertEquals(List.of("code", "category", "clinical-status", "encounter"), Search.contentOf("Condition"), "as R4 defines them");
    }
}

package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;

import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

class IncludesTest {

    @Test
    void anIncludeFollowsTheParametersReferencesToRecordTypesOnly() {
        Includes.Spec encounter = Includes.parse(List.of("Observation:encounter")).get(0);
        assertEquals(Set.of("Encounter"), encounter.targets());
        Observation o = new Observation();
        o.setEncounter(new Reference("Encounter/r1")).setSubject(new Reference("Patient/P-1"));
        assertEquals(Set.of("Encounter/r1"), encounter.references(o));
        Includes.Spec performer = Includes.parse(List.of("Observation:performer:Practitioner")).get(0);
        o.addPerformer(new Reference("Practitioner/r2")).addPerformer(new Reference("Organization/r3"));
        assertEquals(Set.of("Practitioner/r2"), performer.references(o));
    }

    @Test
    void whatIsNotAReferenceToAPatientsRecordIsRefused() {
        assertThrows(FhirException.class, () -> Includes.parse(List.of("Observation:code")));
        assertThrows(FhirException.class, () -> Includes.parse(List.of("Observation:*")));
        assertThrows(FhirException.class, () -> Includes.parse(List.of("Observation:subject:Patient")));
        assertThrows(FhirException.class, () -> Includes.parse(List.of("Consent:patient")));
    }

    @Test
    void anAppNeedsAScopeForEveryTypeASearchIncludes() {
        var q = new jakarta.ws.rs.core.MultivaluedHashMap<String, String>();
        q.add("_include", "Observation:encounter");
        q.add("_revinclude", "Provenance:target");
        assertEquals(Set.of("Encounter", "Provenance"), SmartScopes.includedTypes(q));
    }
}

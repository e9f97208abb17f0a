package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

class ScopesTest {

    @Test
    void aV1ReadScopeAllowsReadAndSearchButNoWrite() {
        Scopes s = Scopes.parse("patient/Observation.read");
        assertTrue(s.permits("Observation", Scopes.READ));
        assertTrue(s.permits("Observation", Scopes.SEARCH));
        assertFalse(s.permits("Observation", Scopes.CREATE));
        assertFalse(s.permits("Condition", Scopes.READ));
        assertTrue(s.onlyInPatientContext("Observation", Scopes.READ));
    }

    @Test
    void v2FormsGrantExactlyTheirLetters() {
        Scopes s = Scopes.parse("user/Observation.rs patient/*.c user/Condition.cruds");
        assertTrue(s.permits("Observation", Scopes.SEARCH));
        assertFalse(s.permits("Observation", Scopes.UPDATE));
        assertTrue(s.permits("Procedure", Scopes.CREATE));
        assertFalse(s.permits("Procedure", Scopes.READ));
        assertTrue(s.permits("Condition", Scopes.DELETE));
        assertFalse(s.onlyInPatientContext("Observation", Scopes.READ));
    }

    @Test
    void unknownScopesAndQueryRestrictionsAreNotGranted() {
        Scopes s = Scopes.parse("patient/Observation.rs?category=laboratory profile email patient/observation.read");
        assertTrue(s.rules().isEmpty());
        assertEquals("", s.spelled());
        assertFalse(s.grantsAnything());
        assertThrows(IllegalArgumentException.class, () -> Scopes.parse("a ".repeat(Scopes.MAX_SCOPES + 1)));
    }

    @Test
    void anAppGetsNoMoreThanItsRegistrationAllows() {
        Scopes registered = Scopes.parse("launch/patient patient/*.read");
        Scopes granted = Scopes.parse("launch/patient offline_access patient/*.write patient/Observation.cruds user/*.read")
                .within(registered);
        assertEquals("launch/patient patient/Observation.rs", granted.spelled());
        assertFalse(granted.offline());
    }

    @Test
    void openidFhirUserAndLaunchAreGrantedOnlyAsFarAsTheRegistrationAllows() {
        Scopes asked = Scopes.parse("openid fhirUser launch patient/*.read");
        assertEquals("openid fhirUser launch patient/*.rs", asked.spelled());
        assertEquals("patient/*.rs", asked.within(Scopes.parse("patient/*.read")).spelled(), "an older registration gets none");
        assertEquals("openid fhirUser patient/*.rs", asked.within(Scopes.parse("openid fhirUser patient/*.read")).spelled());
        Scopes noOpenid = Scopes.parse("fhirUser patient/*.read").within(Scopes.parse("openid fhirUser patient/*.read"));
        assertFalse(noOpenid.fhirUser(), "fhirUser means nothing without openid: no ID token");
        assertFalse(noOpenid.openid());
        assertTrue(Scopes.parse("openid").within(Scopes.parse("openid patient/*.read")).grantsAnything(), "sign-in only");
        assertEquals("system/*.rs", Scopes.parse("openid fhirUser launch offline_access launch/patient system/*.read")
                .withoutPersonScopes().spelled(), "a backend service has no person to name");
    }

    @Test
    void contextsAreSeparated() {
        Scopes s = Scopes.parse("system/*.read patient/*.read");
        assertEquals("system/*.rs", s.only(Set.of(Scopes.Context.SYSTEM)).spelled());
        assertEquals("", s.withoutPatientContext().only(Set.of(Scopes.Context.PATIENT)).spelled());
    }
}

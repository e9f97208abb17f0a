package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import org.junit.jupiter.api.Test;

import org.ehrledger.web.smart.Scopes;

class SmartScopesTest {

    private static MultivaluedMap<String, String> query(String... kv) {
        MultivaluedHashMap<String, String> q = new MultivaluedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            q.add(kv[i], kv[i + 1]);
        }
        return q;
    }

    @Test
    void eachInteractionNeedsItsLetterOnItsType() {
        assertEquals(new SmartScopes.Need("Observation", Scopes.SEARCH, "P-1"),
                SmartScopes.need("GET", List.of("Observation"), query("patient", "Patient/P-1")));
        assertEquals(new SmartScopes.Need("Observation", Scopes.READ, null), SmartScopes.need("GET", List.of("Observation", "r1"), query()));
        assertEquals(new SmartScopes.Need("Patient", Scopes.READ, "P-2"), SmartScopes.need("GET", List.of("Patient", "P-2"), query()));
        assertEquals(new SmartScopes.Need("Observation", Scopes.CREATE, null), SmartScopes.need("POST", List.of("Observation"), query()));
        assertEquals(new SmartScopes.Need("*", Scopes.CREATE, null), SmartScopes.need("POST", List.of(), query()));
        assertEquals(new SmartScopes.Need("Consent", Scopes.DELETE, null), SmartScopes.need("DELETE", List.of("Consent", "c1"), query()));
    }

    @Test
    void everythingAndExportNeedEveryTypeAndNameTheirPatient() {
        assertEquals(new SmartScopes.Need("*", Scopes.READ, "P-1"),
                SmartScopes.need("GET", List.of("Patient", "P-1", "$everything"), query()));
        assertEquals(new SmartScopes.Need("*", Scopes.READ, "P-1"), SmartScopes.need("GET", List.of("Patient", "P-1", "$export"), query()));
        assertEquals(new SmartScopes.Need("*", Scopes.READ, "(several)"),
                SmartScopes.need("GET", List.of("Patient", "$export"), query("patient", "P-1,P-2")));
        assertEquals(new SmartScopes.Need("*", Scopes.READ, "(several)"),
                SmartScopes.need("GET", List.of("Group", "st-mary", "$export"), query()), "a group is never the patient in context");
        assertEquals(new SmartScopes.Need("Group", Scopes.READ, "(several)"), SmartScopes.need("GET", List.of("Group", "st-mary"), query()));
        assertEquals(new SmartScopes.Need("Group", Scopes.READ, null),
                SmartScopes.need("GET", List.of("Group", "R-AAAAA-BBBBB-CCCCC-DDDDD"), query()), "a Group a bundle brought is a record");
        assertEquals(new SmartScopes.Need("*", Scopes.CREATE, "P-1"), SmartScopes.need("POST", List.of("Patient", "P-1", "$import"), query()));
    }

    @Test
    void theCapabilitiesAndDiscoveryNeedNoScope() {
        assertNull(SmartScopes.need("GET", List.of("metadata"), query()));
        assertNull(SmartScopes.need("GET", List.of(".well-known", "smart-configuration"), query()));
        assertNull(SmartScopes.need("GET", List.of(".well-known", "openid-configuration"), query()));
    }

    @Test
    void signInScopesAloneAllowNoInteraction() {
        Scopes s = Scopes.parse("openid fhirUser launch");
        assertTrue(s.grantsAnything());
        assertFalse(s.permits("Patient", Scopes.READ));
        assertFalse(s.permits("Observation", Scopes.SEARCH));
        assertFalse(s.permits("*", Scopes.READ));
    }
}

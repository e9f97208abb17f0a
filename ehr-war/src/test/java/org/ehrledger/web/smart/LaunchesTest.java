package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/** SMART EHR launch: a practitioner's launch of an app with a patient open, used once, soon, by them only. */
class LaunchesTest {

    private static final String REDIRECT = "https://app.example.org/callback";
    private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private static final String ISSUER = "https://ehr.example.org/ehr/fhir/r4";
    private static final SmartClient APP = new SmartClient("app-1", "Chart viewer", List.of(REDIRECT),
            "https://app.example.org/launch", null, null, "launch openid fhirUser patient/*.read", "admin", 0, false);

    private final Launches launches = new Launches();
    private final CallerSessions sessions = new CallerSessions();
    private final SmartTokens tokens = new SmartTokens();
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());

    @BeforeEach
    void wire() {
        launches.clock = now::get;
        tokens.sessions = sessions;
        tokens.idTokens = new IdTokens();
        tokens.clock = now::get;
    }

    private String pendingWith(Launches.Launch launch) {
        return tokens.await(new SmartTokens.Pending("app-1", REDIRECT, Scopes.parse("launch patient/*.read"), "xyz",
                SmartTokens.s256(VERIFIER), ISSUER, null, launch, now.get() + SmartTokens.PENDING_MILLIS));
    }

    @Test
    void aLaunchIsUsedOnce() {
        String id = launches.create(APP, "dr-a", "P-1");
        Launches.Launch l = launches.take(id, "app-1");
        assertEquals(new Launches.Launch("app-1", "dr-a", "P-1", now.get() + Launches.LAUNCH_MILLIS), l);
        SmartTokens.OAuthError again = assertThrows(SmartTokens.OAuthError.class, () -> launches.take(id, "app-1"));
        assertEquals("invalid_request", again.error());
        assertTrue(again.getMessage().contains("already used"));
    }

    @Test
    void aLaunchExpiresAfterFiveMinutes() {
        String id = launches.create(APP, "dr-a", "P-1");
        now.addAndGet(Launches.LAUNCH_MILLIS);
        assertEquals("invalid_request", assertThrows(SmartTokens.OAuthError.class, () -> launches.take(id, "app-1")).error());
    }

    @Test
    void anUnknownLaunchOrOneOfAnotherAppIsRefused() {
        assertEquals("invalid_request", assertThrows(SmartTokens.OAuthError.class, () -> launches.take("made-up", "app-1")).error());
        String id = launches.create(APP, "dr-a", "P-1");
        SmartTokens.OAuthError other = assertThrows(SmartTokens.OAuthError.class, () -> launches.take(id, "app-2"));
        assertTrue(other.getMessage().contains("another app"));
        assertThrows(SmartTokens.OAuthError.class, () -> launches.take(id, "app-1"), "a launch tried by another app is spent");
    }

    @Test
    void onlyAnAppRegisteredForEhrLaunchIsLaunched() {
        SmartClient noUrl = new SmartClient("app-2", "Viewer", List.of(REDIRECT), null, null, null, "launch patient/*.read",
                "admin", 0, false);
        SmartClient noScope = new SmartClient("app-3", "Viewer", List.of(REDIRECT), "https://app.example.org/launch", null, null,
                "launch/patient patient/*.read", "admin", 0, false);
        assertThrows(EhrException.class, () -> launches.create(noUrl, "dr-a", "P-1"));
        assertThrows(EhrException.class, () -> launches.create(noScope, "dr-a", "P-1"));
        assertThrows(EhrException.class, () -> launches.create(APP, "dr-a", "P-1&x=y"));
    }

    @Test
    void theLaunchUrlCarriesIssAndLaunch() {
        assertEquals("https://app.example.org/launch?iss=https%3A%2F%2Fehr.example.org%2Fehr%2Ffhir%2Fr4&launch=L1",
                Launches.launchUrl(APP, ISSUER, "L1"));
    }

    @Test
    void theLaunchingPractitionerGetsTheLaunchsPatientInContext() {
        String portal = sessions.open("dr-a", Role.PRACTITIONER, "org", "Dr A", UserKeys.generate());
        Launches.Launch l = launches.take(launches.create(APP, "dr-a", "P-1"), "app-1");
        String code = tokens.approve(pendingWith(l), "dr-a", portal, Scopes.parse("launch patient/*.read"), "P-other");
        SmartTokens.Issued t = tokens.exchange(code, "app-1", REDIRECT, VERIFIER);
        assertEquals("P-1", t.patient(), "the patient the practitioner had open, whatever the form said");
        assertEquals("P-1", tokens.grantOf(t.accessToken()).orElseThrow().patient());
        assertEquals("launch patient/*.rs", t.scope());
    }

    @Test
    void aLaunchCreatedForAnotherUserIsRefusedAtConsent() {
        String other = sessions.open("dr-b", Role.PRACTITIONER, "org", "Dr B", UserKeys.generate());
        Launches.Launch l = launches.take(launches.create(APP, "dr-a", "P-1"), "app-1");
        String pending = pendingWith(l);
        SmartTokens.OAuthError e = assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.approve(pending, "dr-b", other, Scopes.parse("launch patient/*.read"), null));
        assertEquals("invalid_request", e.error());
        assertTrue(e.getMessage().contains("another user"));
        assertTrue(tokens.pending(pending).isEmpty(), "the request is spent");
        assertTrue(sessions.find(other).isPresent());
    }
}

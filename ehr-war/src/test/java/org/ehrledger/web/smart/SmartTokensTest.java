package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

class SmartTokensTest {

    private static final String REDIRECT = "https://app.example.org/callback";
    private static final String ISSUER = "https://ehr.example.org/ehr/fhir/r4";
    private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    private final CallerSessions sessions = new CallerSessions();
    private final SmartTokens tokens = new SmartTokens();
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private String portal;

    @BeforeEach
    void signIn() {
        tokens.sessions = sessions;
        tokens.idTokens = new IdTokens();
        tokens.clock = now::get;
        portal = sessions.open("P-1", Role.PATIENT, "org", "Pat", UserKeys.generate());
    }

    private String code(String scope) {
        String pending = tokens.await(new SmartTokens.Pending("app-1", REDIRECT, Scopes.parse(scope), "xyz",
                SmartTokens.s256(VERIFIER), ISSUER, null, null, now.get() + SmartTokens.PENDING_MILLIS));
        return tokens.approve(pending, "P-1", portal, Scopes.parse(scope), "P-1");
    }

    @Test
    void theS256ChallengeIsRfc7636sExample() {
        assertEquals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", SmartTokens.s256(VERIFIER));
    }

    @Test
    void aCodeGivesAnAccessTokenThatIsASessionOfThePersonWithTheGrant() {
        SmartTokens.Issued t = tokens.exchange(code("launch/patient patient/*.read"), "app-1", REDIRECT, VERIFIER);
        assertEquals("P-1", sessions.find(t.accessToken()).orElseThrow().userId());
        assertEquals("P-1", t.patient());
        assertEquals(SmartTokens.ACCESS_MILLIS / 1000, t.expiresInSeconds());
        assertNull(t.refreshToken(), "no refresh token without offline_access");
        assertEquals("launch/patient patient/*.rs", tokens.grantOf(t.accessToken()).orElseThrow().scopes().spelled());
        assertTrue(tokens.grantOf(portal).isEmpty(), "the person's own session is not an app's");
    }

    @Test
    void aCodeIsUsedOnceAndItsReplayRevokesWhatItGave() {
        String code = code("patient/*.read");
        SmartTokens.Issued t = tokens.exchange(code, "app-1", REDIRECT, VERIFIER);
        SmartTokens.OAuthError e = assertThrows(SmartTokens.OAuthError.class, () -> tokens.exchange(code, "app-1", REDIRECT, VERIFIER));
        assertEquals("invalid_grant", e.error());
        assertTrue(tokens.grantOf(t.accessToken()).isEmpty());
        assertTrue(sessions.find(t.accessToken()).isEmpty());
    }

    @Test
    void aCodeNeedsItsVerifierClientAndExactRedirect() {
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.exchange(code("patient/*.read"), "app-1", REDIRECT, VERIFIER.replace('d', 'e'))).error());
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.exchange(code("patient/*.read"), "app-1", REDIRECT, null)).error(), "no PKCE downgrade");
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.exchange(code("patient/*.read"), "app-2", REDIRECT, VERIFIER)).error());
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.exchange(code("patient/*.read"), "app-1", REDIRECT + "/", VERIFIER)).error());
    }

    @Test
    void aCodeExpiresAfterSixtySeconds() {
        String code = code("patient/*.read");
        now.addAndGet(SmartTokens.CODE_MILLIS + 1);
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.exchange(code, "app-1", REDIRECT, VERIFIER));
    }

    @Test
    void refreshTokensRotateAndAReusedOneRevokesTheAuthorization() {
        SmartTokens.Issued first = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        assertNotNull(first.refreshToken());
        SmartTokens.Issued second = tokens.refresh(first.refreshToken(), "app-1");
        assertNotEquals(first.refreshToken(), second.refreshToken());
        assertTrue(tokens.grantOf(first.accessToken()).isEmpty(), "the previous access token ends");
        assertTrue(tokens.grantOf(second.accessToken()).isPresent());
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.refresh(first.refreshToken(), "app-1")).error());
        assertTrue(tokens.grantOf(second.accessToken()).isEmpty(), "theft detected: the whole authorization is revoked");
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(second.refreshToken(), "app-1"));
    }

    @Test
    void aRefreshTokenIsTheClientsOnlyAndEndsWithItsAuthorization() {
        SmartTokens.Issued t = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(t.refreshToken(), "app-2"));
        now.addAndGet(SmartTokens.OFFLINE_MILLIS + 1);
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(t.refreshToken(), "app-1"));
    }

    @Test
    void suspendingThePersonEndsTheAppsTokens() {
        SmartTokens.Issued t = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        sessions.closeAllOf("P-1");
        assertTrue(sessions.find(t.accessToken()).isEmpty());
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(t.refreshToken(), "app-1"));
    }

    @Test
    void signingOutOfThePortalLeavesTheAppsTokenWorking() {
        SmartTokens.Issued t = tokens.exchange(code("patient/*.read"), "app-1", REDIRECT, VERIFIER);
        sessions.close(portal);
        assertTrue(sessions.find(t.accessToken()).isPresent());
    }

    @Test
    void removingAnAppRevokesItsTokens() {
        SmartTokens.Issued t = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        tokens.revokeClient("app-1");
        assertTrue(tokens.grantOf(t.accessToken()).isEmpty());
        assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(t.refreshToken(), "app-1"));
    }

    @Test
    void removingABackendServiceOrItsApprovalEndsItsTokensSessionNotOnlyItsGrant() {
        SmartClient svc = new SmartClient("svc", "Exporter", java.util.List.of(), null, "{}", "dr-a", "system/*.read", "admin", 0, true);
        sessions.open("dr-a", Role.PRACTITIONER, "org", "Dr A", UserKeys.generate());
        SmartTokens.Issued t = tokens.backend(svc, Scopes.parse("system/*.read"));
        tokens.revokeClient("svc");
        assertTrue(tokens.grantOf(t.accessToken()).isEmpty());
        assertTrue(sessions.find(t.accessToken()).isEmpty(), "a session without its grant would act as dr-a, unscoped");
    }

    @Test
    void aRevokedAuthorizationIssuesNothingMore() {
        SmartTokens.Issued t = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        assertEquals(SmartTokens.Revoked.AUTHORIZATION, tokens.revoke(t.refreshToken(), "app-1"));
        assertEquals(SmartTokens.Revoked.NOTHING, tokens.revoke(t.refreshToken(), "app-1"));
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class, () -> tokens.refresh(t.refreshToken(), "app-1"))
                .error());
        assertTrue(sessions.find(t.accessToken()).isEmpty());
    }

    @Test
    void anAssertionIdIsAcceptedOnce() {
        assertTrue(tokens.firstUse("svc", "jti-1", now.get() + 60_000));
        assertFalse(tokens.firstUse("svc", "jti-1", now.get() + 60_000));
        assertTrue(tokens.firstUse("other", "jti-1", now.get() + 60_000));
    }

    @Test
    void aBackendServiceActsAsItsAccountOnlyWhileThatAccountIsSignedInHere() {
        SmartClient svc = new SmartClient("svc", "Exporter", java.util.List.of(), null, "{}", "dr-a", "system/*.read", "admin", 0, true);
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class,
                () -> tokens.backend(svc, Scopes.parse("system/*.read"))).error());
        sessions.open("dr-a", Role.PRACTITIONER, "org", "Dr A", UserKeys.generate());
        SmartTokens.Issued t = tokens.backend(svc, Scopes.parse("system/*.read"));
        assertEquals("dr-a", sessions.find(t.accessToken()).orElseThrow().userId());
        assertEquals(300, t.expiresInSeconds());
    }

    @Test
    void aRestartedReplicaForgetsEveryTokenAndTheAppMustAuthorizeAgain() {
        SmartTokens.Issued t = tokens.exchange(code("offline_access patient/*.read"), "app-1", REDIRECT, VERIFIER);
        SmartTokens restarted = new SmartTokens();
        restarted.sessions = new CallerSessions();
        assertTrue(restarted.grantOf(t.accessToken()).isEmpty());
        assertEquals("invalid_grant", assertThrows(SmartTokens.OAuthError.class, () -> restarted.refresh(t.refreshToken(), "app-1"))
                .error());
    }

    @Test
    void pendingAuthorizationsAreBoundedAndMakeRoomWhenTheyExpire() {
        for (int i = 0; i < SmartTokens.MAX_ENTRIES; i++) {
            tokens.await(new SmartTokens.Pending("app-1", REDIRECT, Scopes.parse("patient/*.read"), "s", "c", ISSUER, null, null,
                    now.get() + SmartTokens.PENDING_MILLIS));
        }
        SmartTokens.Pending one = new SmartTokens.Pending("app-1", REDIRECT, Scopes.parse("patient/*.read"), "s", "c", ISSUER, null, null,
                now.get() + 2 * SmartTokens.PENDING_MILLIS);
        assertEquals("temporarily_unavailable", assertThrows(SmartTokens.OAuthError.class, () -> tokens.await(one)).error());
        now.addAndGet(SmartTokens.PENDING_MILLIS + 1);
        assertTrue(tokens.pending(tokens.await(one)).isPresent());
    }
}

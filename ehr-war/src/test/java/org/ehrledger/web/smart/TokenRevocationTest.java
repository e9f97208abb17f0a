package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.ehrledger.ejb.domain.model.registry.Role;

/** Token revocation (RFC 7009) at {@code POST /smart/revoke}: a client ends its own tokens, and only its own. */
class TokenRevocationTest {

    private static final String SCOPE = "offline_access launch/patient patient/*.read";

    @TempDir
    Path dir;

    private AuthorizationServer server;

    @BeforeEach
    void start() throws Exception {
        server = new AuthorizationServer(dir);
    }

    /** Whether an access token still authenticates (a live session) and carries its app's grant. */
    private boolean works(String accessToken) {
        return server.sessions.find(accessToken).isPresent() || server.tokens.grantOf(accessToken).isPresent();
    }

    @Test
    void aRevokedRefreshTokenEndsTheWholeAuthorizationItsAccessTokenToo() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        FakeHttp.Answer answer = server.revoke("token", t.refreshToken(), "token_type_hint", "refresh_token",
                "client_id", server.publicApp.clientId());
        assertEquals(200, answer.status());
        assertEquals("", answer.body());
        assertEquals("no-store", answer.headers().get("Cache-Control"));
        assertEquals("invalid_grant", server.refresh(server.publicApp, t.refreshToken()).error());
        assertFalse(works(t.accessToken()), "the access token no longer authenticates");
    }

    @Test
    void aRevokedAccessTokenEndsAndTheRefreshTokenGivesANewOne() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        assertEquals(200, server.revoke("token", t.accessToken(), "client_id", server.publicApp.clientId()).status());
        assertFalse(works(t.accessToken()));
        FakeHttp.Answer refreshed = server.refresh(server.publicApp, t.refreshToken());
        assertEquals(200, refreshed.status());
        assertTrue(works(refreshed.json().getString("access_token")));
    }

    @Test
    void anAccessTokenWithoutRefreshTokenEndsItsAuthorization() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, "launch/patient patient/*.read");
        assertEquals(200, server.revoke("token", t.accessToken(), "token_type_hint", "refresh_token",
                "client_id", server.publicApp.clientId()).status(), "a wrong hint changes nothing");
        assertFalse(works(t.accessToken()));
    }

    @Test
    void aRefreshTokenAlreadyRotatedAwayStillEndsItsAuthorization() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        SmartTokens.Issued second = server.tokens.refresh(t.refreshToken(), server.publicApp.clientId());
        assertEquals(200, server.revoke("token", t.refreshToken(), "client_id", server.publicApp.clientId()).status());
        assertFalse(works(second.accessToken()));
        assertEquals("invalid_grant", server.refresh(server.publicApp, second.refreshToken()).error());
    }

    @Test
    void anotherClientsTokenIsRefusedAndKeepsWorking() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        for (String token : new String[] {t.accessToken(), t.refreshToken()}) {
            FakeHttp.Answer refused = server.revoke("token", token, "client_id", server.otherApp.clientId());
            assertEquals(400, refused.status());
            assertEquals("invalid_grant", refused.error(), "RFC 7009 2.1: the request is refused");
        }
        FakeHttp.Answer byConfidential = server.revoke("token", t.accessToken(), "client_id", server.confidentialApp.clientId(),
                "client_assertion_type", AuthorizationServer.JWT_BEARER, "client_assertion", AuthorizationServer.assertion(
                        server.confidentialApp, server.confidentialKey, AuthorizationServer.TOKEN_URL));
        assertEquals("invalid_grant", byConfidential.error());
        assertTrue(works(t.accessToken()));
        assertEquals(200, server.refresh(server.publicApp, t.refreshToken()).status());
    }

    @Test
    void unknownExpiredOrAlreadyRevokedTokensAreAnswered200() throws Exception {
        assertEquals(200, server.revoke("token", "never-issued", "client_id", server.publicApp.clientId()).status());
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        assertEquals(200, server.revoke("token", t.refreshToken(), "client_id", server.publicApp.clientId()).status());
        assertEquals(200, server.revoke("token", t.refreshToken(), "client_id", server.publicApp.clientId()).status());
        SmartTokens.Issued u = server.authorize(server.publicApp, "P-1", Role.PATIENT, "patient/*.read");
        server.now.addAndGet(SmartTokens.ACCESS_MILLIS + 1);
        assertEquals(200, server.revoke("token", u.accessToken(), "client_id", server.otherApp.clientId()).status(),
                "an expired token is no longer anyone's");
    }

    @Test
    void aConfidentialAppRevokesWithItsAssertionAndABackendServiceItsToken() throws Exception {
        SmartTokens.Issued t = server.authorize(server.confidentialApp, "dr-a", Role.PRACTITIONER, SCOPE);
        FakeHttp.Answer withoutAssertion = server.revoke("token", t.refreshToken(), "client_id", server.confidentialApp.clientId());
        assertEquals(401, withoutAssertion.status());
        assertEquals("invalid_client", withoutAssertion.error());
        assertTrue(works(t.accessToken()));
        assertEquals(200, server.revoke("token", t.refreshToken(), "client_assertion_type", AuthorizationServer.JWT_BEARER,
                "client_assertion", AuthorizationServer.assertion(server.confidentialApp, server.confidentialKey,
                        AuthorizationServer.REVOKE_URL)).status(), "client_id is optional with an assertion");
        assertFalse(works(t.accessToken()));

        server.sessions.open("gw", Role.ADMIN, "org", "Gateway account", org.ehrledger.ejb.infrastructure.crypto.UserKeys.generate());
        SmartTokens.Issued backend = server.tokens.backend(server.resourceServer, Scopes.parse("system/*.read"));
        assertEquals(200, server.revoke("token", backend.accessToken(), "client_assertion_type", AuthorizationServer.JWT_BEARER,
                "client_assertion", AuthorizationServer.assertion(server.resourceServer, server.resourceServerKey,
                        AuthorizationServer.TOKEN_URL)).status());
        assertFalse(works(backend.accessToken()), "its session ends with its grant: it must not act as its account, unscoped");
    }

    @Test
    void malformedRequestsAndBadClientsGetTypedOAuthErrors() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        FakeHttp.Answer json = FakeHttp.post(server.revocation, AuthorizationServer.REVOKE_URL, "application/json",
                "token", t.refreshToken(), "client_id", server.publicApp.clientId());
        assertEquals(400, json.status());
        assertEquals("invalid_request", json.error());
        FakeHttp.Answer noToken = server.revoke("client_id", server.publicApp.clientId());
        assertEquals(400, noToken.status());
        assertEquals("invalid_request", noToken.error());
        FakeHttp.Answer anonymous = server.revoke("token", t.refreshToken());
        assertEquals(401, anonymous.status());
        assertEquals("invalid_client", anonymous.error());
        assertEquals("invalid_client", server.revoke("token", t.refreshToken(), "client_id", "app-unknown").error());
        assertEquals("invalid_client", server.revoke("token", t.refreshToken(), "client_assertion_type",
                AuthorizationServer.JWT_BEARER, "client_assertion", "not.a.jwt").error());
        assertEquals("invalid_client", server.revoke("token", t.refreshToken(), "client_assertion_type",
                AuthorizationServer.JWT_BEARER, "client_assertion", AuthorizationServer.assertion(server.confidentialApp,
                        server.confidentialKey, "https://elsewhere.example.org/token")).error(), "another audience");
        assertTrue(works(t.accessToken()), "no refused request changed anything");
    }
}

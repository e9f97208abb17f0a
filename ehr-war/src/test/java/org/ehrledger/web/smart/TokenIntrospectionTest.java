package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Token introspection (RFC 7662, SMART App Launch 2) at {@code POST /smart/introspect}: for resource servers that
 * authenticate with client credentials, never for an anonymous caller.
 */
class TokenIntrospectionTest {

    private static final String SCOPE = "openid fhirUser offline_access launch/patient patient/*.read";

    @TempDir
    Path dir;

    private AuthorizationServer server;

    @BeforeEach
    void start() throws Exception {
        server = new AuthorizationServer(dir);
    }

    private static void inactive(FakeHttp.Answer answer) {
        assertEquals(200, answer.status());
        assertEquals(Set.of("active"), answer.json().keySet(), "an inactive token says nothing else");
        assertFalse(answer.json().getBoolean("active"));
    }

    @Test
    void anActiveTokenSaysWhatItsTokenAnswerSaidAndNeverEchoesTheToken() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        FakeHttp.Answer answer = server.introspectAsResourceServer(t.accessToken());
        assertEquals(200, answer.status());
        assertEquals("no-store", answer.headers().get("Cache-Control"));
        JsonObject o = answer.json();
        assertTrue(o.getBoolean("active"));
        assertEquals(t.scope(), o.getString("scope"));
        assertEquals(server.publicApp.clientId(), o.getString("client_id"));
        assertEquals("P-1", o.getString("sub"));
        assertEquals("P-1", o.getString("patient"));
        assertTrue(o.getBoolean("need_patient_banner"));
        assertEquals("Bearer", o.getString("token_type"));
        assertEquals(AuthorizationServer.ISSUER, o.getString("iss"));
        assertEquals(AuthorizationServer.ISSUER + "/Patient/P-1", o.getString("fhirUser"));
        long iat = o.getJsonNumber("iat").longValue();
        assertEquals(server.now.get() / 1000, iat);
        assertEquals(t.expiresInSeconds(), o.getJsonNumber("exp").longValue() - iat);
        assertFalse(answer.body().contains(t.accessToken()));
        assertFalse(answer.body().contains(t.refreshToken()));
    }

    @Test
    void withoutOpenidOrPatientContextThoseClaimsAreLeftOut() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "dr-a", Role.PRACTITIONER, "user/*.read");
        JsonObject o = server.introspectAsResourceServer(t.accessToken()).json();
        assertTrue(o.getBoolean("active"));
        assertEquals("dr-a", o.getString("sub"));
        assertFalse(o.containsKey("patient"));
        assertFalse(o.containsKey("iss"));
        assertFalse(o.containsKey("fhirUser"));
    }

    @Test
    void unknownExpiredRevokedAndRefreshTokensAndPeoplesOwnSessionsAreInactive() throws Exception {
        inactive(server.introspectAsResourceServer("never-issued"));
        SmartTokens.Issued revoked = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        assertEquals(200, server.revoke("token", revoked.refreshToken(), "client_id", server.publicApp.clientId()).status());
        inactive(server.introspectAsResourceServer(revoked.accessToken()));
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-2", Role.PATIENT, SCOPE);
        inactive(server.introspectAsResourceServer(t.refreshToken()));
        String portal = server.sessions.open("P-3", Role.PATIENT, "org", "Pat", UserKeys.generate());
        inactive(server.introspectAsResourceServer(portal));
        server.now.addAndGet(SmartTokens.ACCESS_MILLIS);
        inactive(server.introspectAsResourceServer(t.accessToken()));
    }

    @Test
    void aSuspendedPersonsTokenIsInactive() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        server.sessions.closeAllOf("P-1");
        inactive(server.introspectAsResourceServer(t.accessToken()));
    }

    @Test
    void anonymousCallersPublicAppsAndBearerlessGuessesAreRefused() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        List<FakeHttp.Answer> refused = List.of(
                server.introspect("token", t.accessToken()),
                server.introspect("token", t.accessToken(), "client_id", server.publicApp.clientId()),
                server.introspect("token", t.accessToken(), "client_id", server.resourceServer.clientId()),
                server.introspect("token", t.accessToken(), "client_assertion_type", AuthorizationServer.JWT_BEARER,
                        "client_assertion", AuthorizationServer.assertion(server.resourceServer, server.confidentialKey,
                                AuthorizationServer.INTROSPECT_URL)));
        for (FakeHttp.Answer a : refused) {
            assertEquals(401, a.status());
            assertEquals("invalid_client", a.error());
            assertFalse(a.body().contains("\"active\""), "nothing is said of the token");
        }
    }

    @Test
    void aServiceItsAccountHasNotApprovedIsRefused() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        FakeHttp.Answer a = server.introspect("token", t.accessToken(), "client_assertion_type", AuthorizationServer.JWT_BEARER,
                "client_assertion", AuthorizationServer.assertion(server.unapproved, server.resourceServerKey,
                        AuthorizationServer.INTROSPECT_URL));
        assertEquals(400, a.status());
        assertEquals("unauthorized_client", a.error());
    }

    @Test
    void anAssertionIsUsedOnceAndMayNameTheTokenEndpoint() throws Exception {
        SmartTokens.Issued t = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        String assertion = AuthorizationServer.assertion(server.resourceServer, server.resourceServerKey,
                AuthorizationServer.TOKEN_URL);
        String[] form = {"token", t.accessToken(), "client_assertion_type", AuthorizationServer.JWT_BEARER,
                "client_assertion", assertion};
        assertTrue(server.introspect(form).json().getBoolean("active"));
        assertEquals("invalid_client", server.introspect(form).error(), "a replayed assertion");
    }

    @Test
    void aConfidentialAppIntrospectsItsOwnTokensOnly() throws Exception {
        SmartTokens.Issued mine = server.authorize(server.confidentialApp, "dr-a", Role.PRACTITIONER, SCOPE);
        SmartTokens.Issued theirs = server.authorize(server.publicApp, "P-1", Role.PATIENT, SCOPE);
        for (SmartTokens.Issued t : List.of(mine, theirs)) {
            FakeHttp.Answer a = server.introspect("token", t.accessToken(), "client_id", server.confidentialApp.clientId(),
                    "client_assertion_type", AuthorizationServer.JWT_BEARER, "client_assertion", AuthorizationServer.assertion(
                            server.confidentialApp, server.confidentialKey, AuthorizationServer.INTROSPECT_URL));
            assertEquals(t == mine, a.json().getBoolean("active"));
        }
    }

    @Test
    void malformedRequestsGetTypedOAuthErrors() throws Exception {
        FakeHttp.Answer noToken = server.introspect("client_assertion_type", AuthorizationServer.JWT_BEARER,
                "client_assertion", AuthorizationServer.assertion(server.resourceServer, server.resourceServerKey,
                        AuthorizationServer.INTROSPECT_URL));
        assertEquals(400, noToken.status());
        assertEquals("invalid_request", noToken.error());
        FakeHttp.Answer notAForm = FakeHttp.post(server.introspection, AuthorizationServer.INTROSPECT_URL, null, "token", "x");
        assertEquals(400, notAForm.status());
        assertEquals("invalid_request", notAForm.error());
        FakeHttp.Answer wrongType = server.introspect("token", "x", "client_assertion_type", "client_secret_basic",
                "client_assertion", AuthorizationServer.assertion(server.resourceServer, server.resourceServerKey,
                        AuthorizationServer.INTROSPECT_URL));
        assertEquals(401, wrongType.status());
        assertEquals("invalid_client", wrongType.error());
    }

    @Test
    void bothDiscoveryDocumentsNameBothEndpointsAndTheCapabilitiesAreUnchanged() {
        JsonObject smart = SmartConfiguration.of(AuthorizationServer.ISSUER);
        JsonObject oidc = SmartConfiguration.openid(AuthorizationServer.ISSUER);
        for (JsonObject d : List.of(smart, oidc)) {
            assertEquals(AuthorizationServer.REVOKE_URL, d.getString("revocation_endpoint"));
            assertEquals(AuthorizationServer.INTROSPECT_URL, d.getString("introspection_endpoint"));
            assertEquals(List.of("private_key_jwt"), strings(d, "introspection_endpoint_auth_methods_supported"));
            assertEquals(List.of("none", "private_key_jwt"), strings(d, "revocation_endpoint_auth_methods_supported"));
            assertEquals(List.of("RS384", "ES384"), strings(d, "introspection_endpoint_auth_signing_alg_values_supported"));
        }
        assertEquals(List.of("launch-standalone", "launch-ehr", "client-public", "client-confidential-asymmetric",
                "context-standalone-patient", "permission-patient", "permission-user", "permission-offline", "permission-v1",
                "permission-v2", "context-ehr-patient", "sso-openid-connect"), strings(smart, "capabilities"));
    }

    private static List<String> strings(JsonObject o, String key) {
        return o.getJsonArray(key).getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }
}

package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/** OpenID Connect for SMART apps: the ID token of the token answer, its signature, claims and nonce. */
class OpenIdConnectTest {

    private static final String REDIRECT = "https://app.example.org/callback";
    private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private static final String ISSUER = "https://ehr.example.org/ehr/fhir/r4";

    private final CallerSessions sessions = new CallerSessions();
    private final SmartTokens tokens = new SmartTokens();
    private final IdTokens idTokens = new IdTokens();
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());

    @BeforeEach
    void wire() {
        tokens.sessions = sessions;
        tokens.idTokens = idTokens;
        tokens.clock = now::get;
    }

    private SmartTokens.Issued authorize(String userId, Role role, String scope, String nonce) {
        String portal = sessions.open(userId, role, "org", "Someone", UserKeys.generate());
        String pending = tokens.await(new SmartTokens.Pending("app-1", REDIRECT, Scopes.parse(scope), "xyz",
                SmartTokens.s256(VERIFIER), ISSUER, nonce, null, now.get() + SmartTokens.PENDING_MILLIS));
        String code = tokens.approve(pending, userId, portal, Scopes.parse(scope), role == Role.PATIENT ? userId : "P-9");
        return tokens.exchange(code, "app-1", REDIRECT, VERIFIER);
    }

    /** Verifies an ID token as an app does: the key from the published JWK Set by kid, ES256, then the claims. */
    private JWTClaimsSet verified(String idToken) throws Exception {
        JWKSet published = JWKSet.parse(idTokens.publicKeys().toString());
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(published)));
        return processor.process(idToken, null);
    }

    @Test
    void anIdTokenIsSignedByThePublishedKeyAndNamesIssuerPersonAppNonceAndFhirUser() throws Exception {
        SmartTokens.Issued t = authorize("P-1", Role.PATIENT, "openid fhirUser launch/patient patient/*.read", "n-0S6_WzA2Mj");
        assertNotNull(t.idToken());
        assertEquals("openid fhirUser launch/patient patient/*.rs", t.scope());
        JWTClaimsSet c = verified(t.idToken());
        assertEquals(ISSUER, c.getIssuer());
        assertEquals("P-1", c.getSubject());
        assertEquals(List.of("app-1"), c.getAudience());
        assertEquals("n-0S6_WzA2Mj", c.getStringClaim("nonce"));
        assertEquals(ISSUER + "/Patient/P-1", c.getStringClaim("fhirUser"));
        long lifetime = c.getExpirationTime().getTime() - c.getIssueTime().getTime();
        assertEquals(SmartTokens.ACCESS_MILLIS, lifetime, 1000, "the ID token lives as long as the access token");
        assertEquals(JWSAlgorithm.ES256, SignedJWT.parse(t.idToken()).getHeader().getAlgorithm());
        assertFalse(JWKSet.parse(idTokens.publicKeys().toString()).getKeys().get(0).isPrivate(), "only the public key is published");
    }

    @Test
    void anIdTokenSignedByAnotherKeyOrAlteredDoesNotVerify() throws Exception {
        SmartTokens.Issued t = authorize("P-1", Role.PATIENT, "openid patient/*.read", null);
        String other = new IdTokens().sign(new IdTokens.Claims(ISSUER, "P-1", "app-1", null, null, now.get(), now.get() + 60_000));
        assertThrows(BadJOSEException.class, () -> verified(other), "a restarted replica's key is another key");
        String[] parts = t.idToken().split("\\.");
        String altered = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(java.util.Base64.getUrlDecoder().decode(parts[1])).replace("P-1", "P-2").getBytes()) + "." + parts[2];
        assertThrows(BadJOSEException.class, () -> verified(altered));
        ECKey key = (ECKey) idTokens.publicKeys().getKeys().get(0);
        assertTrue(SignedJWT.parse(t.idToken()).verify(new ECDSAVerifier(key)));
    }

    @Test
    void aPractitionersFhirUserIsTheirPractitionerAndStaffOutsideTheDirectoryHaveNone() throws Exception {
        JWTClaimsSet doctor = verified(authorize("dr-a", Role.PRACTITIONER, "openid fhirUser patient/*.read", null).idToken());
        assertEquals(ISSUER + "/Practitioner/dr-a", doctor.getStringClaim("fhirUser"));
        JWTClaimsSet billing = verified(authorize("bill-1", Role.BILLING, "openid fhirUser user/*.read", null).idToken());
        assertEquals("bill-1", billing.getSubject());
        assertNull(billing.getClaim("fhirUser"), "the facade serves no resource for a billing account");
    }

    @Test
    void withoutOpenidThereIsNoIdTokenAndWithoutFhirUserNoFhirUserClaim() throws Exception {
        assertNull(authorize("P-1", Role.PATIENT, "fhirUser patient/*.read", "n").idToken(), "fhirUser alone is no ID token");
        assertNull(authorize("P-1", Role.PATIENT, "launch/patient patient/*.read", "n").idToken());
        JWTClaimsSet c = verified(authorize("P-1", Role.PATIENT, "openid patient/*.read", null).idToken());
        assertNull(c.getClaim("fhirUser"));
        assertNull(c.getClaim("nonce"), "no nonce asked, none given");
    }

    @Test
    void aRefreshedIdTokenNamesThePersonAgainWithoutTheNonce() throws Exception {
        SmartTokens.Issued first = authorize("P-1", Role.PATIENT, "openid fhirUser offline_access patient/*.read", "n-1");
        now.addAndGet(60_000);
        SmartTokens.Issued second = tokens.refresh(first.refreshToken(), "app-1");
        JWTClaimsSet c = verified(second.idToken());
        assertEquals("P-1", c.getSubject());
        assertEquals(ISSUER + "/Patient/P-1", c.getStringClaim("fhirUser"));
        assertNull(c.getClaim("nonce"));
        assertTrue(c.getIssueTime().after(verified(first.idToken()).getIssueTime()));
    }

    @Test
    void aBackendServiceNeverGetsAnIdToken() {
        SmartClient svc = new SmartClient("svc", "Exporter", List.of(), null, "{}", "dr-a", "system/*.read", "admin", 0, true);
        sessions.open("dr-a", Role.PRACTITIONER, "org", "Dr A", UserKeys.generate());
        assertNull(tokens.backend(svc, Scopes.parse("openid fhirUser system/*.read").withoutPersonScopes()).idToken());
    }

    @Test
    void discoveryNamesTheKeyTheAlgorithmAndTheCapabilities() {
        JsonObject smart = SmartConfiguration.of(ISSUER);
        assertEquals("https://ehr.example.org/ehr/smart/jwks", smart.getString("jwks_uri"));
        assertEquals("ES256", smart.getJsonArray("id_token_signing_alg_values_supported").getString(0));
        var capabilities = smart.getJsonArray("capabilities").getValuesAs(jakarta.json.JsonString.class).stream()
                .map(jakarta.json.JsonString::getString).toList();
        assertTrue(capabilities.containsAll(List.of("sso-openid-connect", "launch-ehr", "context-ehr-patient")));
        var scopes = smart.getJsonArray("scopes_supported").getValuesAs(jakarta.json.JsonString.class).stream()
                .map(jakarta.json.JsonString::getString).toList();
        assertTrue(scopes.containsAll(List.of("openid", "fhirUser", "launch")));
        JsonObject oidc = SmartConfiguration.openid(ISSUER);
        assertEquals(ISSUER, oidc.getString("issuer"));
        assertEquals(smart.getString("jwks_uri"), oidc.getString("jwks_uri"));
    }
}

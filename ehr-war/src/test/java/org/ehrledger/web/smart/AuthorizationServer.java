package org.ehrledger.web.smart;

import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/**
 * One replica's SMART authorization server without a server: registered apps (a public one, a confidential one, a
 * resource server registered as an approved backend service, one not approved), people's authorizations, and the
 * token, revocation and introspection endpoints driven by form POSTs.
 */
final class AuthorizationServer {

    static final String ROOT = "https://ehr.example.org/ehr";
    static final String ISSUER = ROOT + "/fhir/r4";
    static final String TOKEN_URL = ROOT + "/smart/token";
    static final String REVOKE_URL = ROOT + "/smart/revoke";
    static final String INTROSPECT_URL = ROOT + "/smart/introspect";
    static final String REDIRECT = "https://app.example.org/callback";
    static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static final String JWT_BEARER = ClientAssertions.JWT_BEARER;

    final CallerSessions sessions = new CallerSessions();
    final SmartTokens tokens = new SmartTokens();
    final SmartClients clients = new SmartClients();
    final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    final TokenServlet tokenEndpoint = new TokenServlet();
    final RevokeServlet revocation = new RevokeServlet();
    final IntrospectServlet introspection = new IntrospectServlet();

    /** A public app a person launches. */
    final SmartClient publicApp;
    /** Another public app. */
    final SmartClient otherApp;
    /** A confidential app (private_key_jwt) a person launches, and its key. */
    final SmartClient confidentialApp;
    final ECKey confidentialKey;
    /** A resource server registered as a backend service its account approved, and its key. */
    final SmartClient resourceServer;
    final ECKey resourceServerKey;
    /** A backend service its account has not approved (same key as the resource server). */
    final SmartClient unapproved;

    AuthorizationServer(Path dataDir) throws Exception {
        tokens.sessions = sessions;
        tokens.idTokens = new IdTokens();
        tokens.clock = now::get;
        clients.load(dataDir.resolve("smart/clients.json"));
        for (OAuthEndpoint e : List.of(tokenEndpoint, revocation, introspection)) {
            e.clients = clients;
            e.tokens = tokens;
        }
        String scope = "offline_access openid fhirUser launch/patient patient/*.read user/*.read";
        publicApp = clients.register("Vitals", List.of(REDIRECT), null, null, scope, null, "admin");
        otherApp = clients.register("Diary", List.of(REDIRECT), null, null, scope, null, "admin");
        confidentialKey = new ECKeyGenerator(Curve.P_384).keyID("c1").generate();
        confidentialApp = clients.register("Chart", List.of(REDIRECT), new JWKSet(confidentialKey.toPublicJWK()).toString(), null,
                scope, null, "admin");
        resourceServerKey = new ECKeyGenerator(Curve.P_384).keyID("r1").generate();
        String rsJwks = new JWKSet(resourceServerKey.toPublicJWK()).toString();
        resourceServer = clients.approve(clients.register("Gateway", List.of(), rsJwks, "gw", "system/*.read", null, "admin")
                .clientId(), "gw", true);
        unapproved = clients.register("Unapproved gateway", List.of(), rsJwks, "gw2", "system/*.read", null, "admin");
    }

    /** A person's consent to an app, exchanged for tokens as the app would. */
    SmartTokens.Issued authorize(SmartClient app, String userId, Role role, String scope) {
        String portal = sessions.open(userId, role, "org", "Someone", UserKeys.generate());
        String pending = tokens.await(new SmartTokens.Pending(app.clientId(), REDIRECT, Scopes.parse(scope), "xyz",
                SmartTokens.s256(VERIFIER), ISSUER, null, null, now.get() + SmartTokens.PENDING_MILLIS));
        Scopes granted = Scopes.parse(scope);
        String code = tokens.approve(pending, userId, portal, granted, !granted.launchPatient() ? null
                : role == Role.PATIENT ? userId : "P-9");
        return tokens.exchange(code, app.clientId(), REDIRECT, VERIFIER);
    }

    /** A fresh client assertion of a client, signed with a key, for an audience. */
    static String assertion(SmartClient client, ECKey key, String audience) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().issuer(client.clientId()).subject(client.clientId()).audience(audience)
                        .expirationTime(new Date(System.currentTimeMillis() + 60_000)).jwtID(UUID.randomUUID().toString()).build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    FakeHttp.Answer revoke(String... form) throws Exception {
        return FakeHttp.post(revocation, REVOKE_URL, "application/x-www-form-urlencoded", form);
    }

    FakeHttp.Answer introspect(String... form) throws Exception {
        return FakeHttp.post(introspection, INTROSPECT_URL, "application/x-www-form-urlencoded", form);
    }

    /** Introspects a token as the resource server. */
    FakeHttp.Answer introspectAsResourceServer(String token) throws Exception {
        return introspect("token", token, "client_assertion_type", JWT_BEARER,
                "client_assertion", assertion(resourceServer, resourceServerKey, INTROSPECT_URL));
    }

    FakeHttp.Answer refresh(SmartClient app, String refreshToken) throws Exception {
        return FakeHttp.post(tokenEndpoint, TOKEN_URL, "application/x-www-form-urlencoded", "grant_type", "refresh_token",
                "refresh_token", refreshToken, "client_id", app.clientId());
    }
}

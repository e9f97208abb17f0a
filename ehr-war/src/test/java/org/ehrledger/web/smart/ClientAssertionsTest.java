package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

class ClientAssertionsTest {

    private static final String TOKEN_URL = "https://ehr.example.org/smart/token";

    private final SmartTokens tokens = new SmartTokens();
    private final ECKey key;
    private final SmartClient client;

    ClientAssertionsTest() throws Exception {
        key = new ECKeyGenerator(Curve.P_384).keyID("k1").generate();
        client = new SmartClient("svc", "Exporter", List.of(), null, new JWKSet(key.toPublicJWK()).toString(), "dr-a", "system/*.read",
                "admin", 0, true);
        tokens.sessions = new CallerSessions();
    }

    private String assertion(String iss, String aud, long expIn, String jti, ECKey signer) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("k1").build(), new JWTClaimsSet.Builder()
                .issuer(iss).subject(iss).audience(aud).expirationTime(new Date(System.currentTimeMillis() + expIn)).jwtID(jti).build());
        jwt.sign(new ECDSASigner(signer));
        return jwt.serialize();
    }

    private String refused(String assertion) {
        return assertThrows(SmartTokens.OAuthError.class, () -> ClientAssertions.verify(client, ClientAssertions.JWT_BEARER,
                assertion, Set.of(TOKEN_URL), tokens)).getMessage();
    }

    @Test
    void aSignedAssertionAuthenticatesOnceOnly() throws Exception {
        String a = assertion("svc", TOKEN_URL, 60_000, "j1", key);
        ClientAssertions.verify(client, ClientAssertions.JWT_BEARER, a, Set.of(TOKEN_URL), tokens);
        assertEquals("the client assertion's jti was used before (a replay)", refused(a));
    }

    @Test
    void anAssertionForAnotherAudienceIssuerKeyOrTimeIsRefused() throws Exception {
        refused(assertion("svc", "https://elsewhere.example.org/token", 60_000, UUID.randomUUID().toString(), key));
        refused(assertion("other", TOKEN_URL, 60_000, UUID.randomUUID().toString(), key));
        refused(assertion("svc", TOKEN_URL, -120_000, UUID.randomUUID().toString(), key));
        refused(assertion("svc", TOKEN_URL, 3_600_000, UUID.randomUUID().toString(), key));
        refused(assertion("svc", TOKEN_URL, 60_000, UUID.randomUUID().toString(),
                new ECKeyGenerator(Curve.P_384).keyID("k1").generate()));
        assertThrows(SmartTokens.OAuthError.class, () -> ClientAssertions.verify(client, "client_secret",
                assertion("svc", TOKEN_URL, 60_000, "j9", key), Set.of(TOKEN_URL), tokens));
    }

    @Test
    void registeringPrivateKeysOrWeakKeysIsRefused() throws Exception {
        assertThrows(org.ehrledger.ejb.application.EhrException.class, () -> SmartClients.publicKeys(new JWKSet(key).toString(false)));
        assertThrows(org.ehrledger.ejb.application.EhrException.class, () -> SmartClients.publicKeys(
                new JWKSet(new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(1024, true).keyID("r").generate().toPublicJWK()).toString()));
    }
}

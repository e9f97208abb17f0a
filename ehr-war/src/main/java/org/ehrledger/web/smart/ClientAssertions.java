package org.ehrledger.web.smart;

import java.text.ParseException;
import java.util.Date;
import java.util.HashSet;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * {@code private_key_jwt} client authentication (RFC 7523, SMART Backend Services): a JWT signed with RS384 or
 * ES384 by a key of the client's registered JWK Set, {@code iss} and {@code sub} the client id, {@code aud} this
 * token endpoint (at the revocation and introspection endpoints, the endpoint called is taken too), {@code exp} at
 * most 5 minutes ahead, and a {@code jti} never seen before.
 */
final class ClientAssertions {

    /** The assertion type of RFC 7523. */
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** The signature algorithms SMART asks for. */
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS384, JWSAlgorithm.ES384);
    /** The furthest ahead an assertion may expire. */
    static final long MAX_AHEAD_MILLIS = 5 * 60_000L;

    private ClientAssertions() {
    }

    /**
     * Checks a client's assertion whose {@code aud} is one of {@code audiences} (the endpoint called, or the token
     * endpoint, which SMART names as the assertion's audience); throws {@code invalid_client} if it does not
     * authenticate the client.
     */
    static void verify(SmartClient client, String assertionType, String assertion, Set<String> audiences, SmartTokens tokens) {
        if (!JWT_BEARER.equals(assertionType) || assertion == null || assertion.length() > 16_384) {
            throw new SmartTokens.OAuthError("invalid_client", "authenticate with client_assertion_type " + JWT_BEARER
                    + " and a client_assertion signed with RS384 or ES384");
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS,
                new ImmutableJWKSet<>(SmartClients.publicKeys(client.jwks()))));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audiences,
                new JWTClaimsSet.Builder().issuer(client.clientId()).subject(client.clientId()).build(),
                new HashSet<>(Set.of("aud", "exp", "jti")), null));
        JWTClaimsSet claims;
        try {
            claims = processor.process(assertion, null);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw new SmartTokens.OAuthError("invalid_client", "the client assertion is not valid: " + e.getMessage());
        }
        Date exp = claims.getExpirationTime();
        if (exp.getTime() > System.currentTimeMillis() + MAX_AHEAD_MILLIS + 60_000L) {
            throw new SmartTokens.OAuthError("invalid_client", "the client assertion expires more than 5 minutes ahead");
        }
        if (!tokens.firstUse(client.clientId(), claims.getJWTID(), exp.getTime() + 60_000L)) {
            throw new SmartTokens.OAuthError("invalid_client", "the client assertion's jti was used before (a replay)");
        }
    }
}

package org.ehrledger.web.smart;

import java.util.Date;

import jakarta.enterprise.context.ApplicationScoped;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * OpenID Connect ID tokens of this replica's authorization server, signed with ES256 by a key pair generated
 * when the replica starts. The key is never written anywhere: every other piece of SMART state (codes, tokens,
 * the person's unlocked keys behind them) lives in this replica's memory and is forgotten at a restart too, and
 * an app fetches the public key from {@code /smart/jwks} by the token's {@code kid}, so a new key after a restart
 * costs nothing but a new fetch.
 */
@ApplicationScoped
public class IdTokens {

    /** The signing algorithm, as the discovery documents name it. */
    public static final String ALGORITHM = "ES256";

    private final ECKey key;

    public IdTokens() {
        try {
            key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate the ID token signing key", e);
        }
    }

    /**
     * What an ID token says.
     *
     * @param issuer    this FHIR base (as the app's {@code aud} named it)
     * @param userId    the person ({@code sub})
     * @param clientId  the app ({@code aud})
     * @param nonce     the authorization request's {@code nonce}, or null
     * @param fhirUser  the FHIR URL of the person's resource, or null
     * @param issuedAt  epoch milliseconds
     * @param expiresAt epoch milliseconds
     */
    public record Claims(String issuer, String userId, String clientId, String nonce, String fhirUser, long issuedAt,
                         long expiresAt) {
    }

    /** A signed ID token (a compact JWS). */
    public String sign(Claims c) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(c.issuer()).subject(c.userId()).audience(c.clientId())
                .issueTime(new Date(c.issuedAt() / 1000 * 1000)).expirationTime(new Date(c.expiresAt() / 1000 * 1000));
        if (c.nonce() != null) {
            claims.claim("nonce", c.nonce());
        }
        if (c.fhirUser() != null) {
            claims.claim("fhirUser", c.fhirUser());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT)
                .build(), claims.build());
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an ID token", e);
        }
        return jwt.serialize();
    }

    /** The public key as a JWK Set, what {@code /smart/jwks} serves. */
    public JWKSet publicKeys() {
        return new JWKSet(key.toPublicJWK());
    }
}

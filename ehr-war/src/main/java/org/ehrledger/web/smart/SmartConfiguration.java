package org.ehrledger.web.smart;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.spi.JsonProvider;

import org.ehrledger.web.fhir.FhirApplication;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/** The SMART App Launch discovery document and the CapabilityStatement's security section that say the same. */
public final class SmartConfiguration {

    private static final JsonProvider JSON = JsonProvider.provider();

    private SmartConfiguration() {
    }

    /** The authorization endpoint of a FHIR base. */
    public static String authorizeUrl(String fhirBase) {
        return root(fhirBase) + "/smart/authorize";
    }

    /** The token endpoint of a FHIR base. */
    public static String tokenUrl(String fhirBase) {
        return root(fhirBase) + "/smart/token";
    }

    /** The revocation endpoint (RFC 7009) of a FHIR base. */
    public static String revokeUrl(String fhirBase) {
        return root(fhirBase) + "/smart/revoke";
    }

    /** The introspection endpoint (RFC 7662) of a FHIR base. */
    public static String introspectUrl(String fhirBase) {
        return root(fhirBase) + "/smart/introspect";
    }

    /** Where the public key of the ID tokens of a FHIR base is. */
    public static String jwksUrl(String fhirBase) {
        return root(fhirBase) + "/smart/jwks";
    }

    private static String root(String fhirBase) {
        String path = FhirApplication.PATH;
        return fhirBase.endsWith(path) ? fhirBase.substring(0, fhirBase.length() - path.length()) : fhirBase;
    }

    /** {@code .well-known/smart-configuration} of this FHIR base. */
    public static JsonObject of(String fhirBase) {
        return discovery(fhirBase)
                .add("grant_types_supported", JSON.createArrayBuilder().add("authorization_code").add("refresh_token")
                        .add("client_credentials"))
                .add("capabilities", JSON.createArrayBuilder().add("launch-standalone").add("launch-ehr").add("client-public")
                        .add("client-confidential-asymmetric").add("context-standalone-patient").add("permission-patient")
                        .add("permission-user").add("permission-offline").add("permission-v1").add("permission-v2")
                        .add("context-ehr-patient").add("sso-openid-connect"))
                .build();
    }

    /**
     * {@code .well-known/openid-configuration} of this FHIR base (the issuer of its ID tokens): OpenID Connect
     * discovery of the same endpoints, for client libraries that look there.
     */
    public static JsonObject openid(String fhirBase) {
        return discovery(fhirBase)
                .add("subject_types_supported", JSON.createArrayBuilder().add("public"))
                .add("claims_supported", JSON.createArrayBuilder().add("iss").add("sub").add("aud").add("exp").add("iat")
                        .add("nonce").add("fhirUser"))
                .add("grant_types_supported", JSON.createArrayBuilder().add("authorization_code").add("refresh_token"))
                .build();
    }

    /**
     * What both discovery documents say alike: the issuer, its endpoints (with revocation and introspection, RFC 8414)
     * and how clients authenticate at them, keys, scopes, response types, PKCE.
     */
    private static jakarta.json.JsonObjectBuilder discovery(String fhirBase) {
        JsonArrayBuilder scopes = JSON.createArrayBuilder();
        Scopes.SUPPORTED.forEach(scopes::add);
        return JSON.createObjectBuilder()
                .add("issuer", fhirBase)
                .add("authorization_endpoint", authorizeUrl(fhirBase))
                .add("token_endpoint", tokenUrl(fhirBase))
                .add("jwks_uri", jwksUrl(fhirBase))
                .add("token_endpoint_auth_methods_supported", JSON.createArrayBuilder().add("none").add("private_key_jwt"))
                .add("token_endpoint_auth_signing_alg_values_supported", assertionAlgorithms())
                .add("revocation_endpoint", revokeUrl(fhirBase))
                .add("revocation_endpoint_auth_methods_supported", JSON.createArrayBuilder().add("none").add("private_key_jwt"))
                .add("revocation_endpoint_auth_signing_alg_values_supported", assertionAlgorithms())
                .add("introspection_endpoint", introspectUrl(fhirBase))
                .add("introspection_endpoint_auth_methods_supported", JSON.createArrayBuilder().add("private_key_jwt"))
                .add("introspection_endpoint_auth_signing_alg_values_supported", assertionAlgorithms())
                .add("scopes_supported", scopes)
                .add("response_types_supported", JSON.createArrayBuilder().add("code"))
                .add("code_challenge_methods_supported", JSON.createArrayBuilder().add("S256"))
                .add("id_token_signing_alg_values_supported", JSON.createArrayBuilder().add(IdTokens.ALGORITHM));
    }

    /** The algorithms of client assertions ({@code private_key_jwt}), as SMART asks. */
    private static JsonArrayBuilder assertionAlgorithms() {
        return JSON.createArrayBuilder().add("RS384").add("ES384");
    }

    /**
     * The SMART service and OAuth URIs extension in a CapabilityStatement's security section. Its R4 definition knows
     * {@code authorize}, {@code token}, {@code register} and {@code manage} only, so the revocation and introspection
     * endpoints are in the discovery documents alone.
     */
    public static void describe(CapabilityStatement.CapabilityStatementRestSecurityComponent security, String fhirBase) {
        security.addService(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(
                "http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")));
        Extension oauth = security.addExtension().setUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        oauth.addExtension("authorize", new UriType(authorizeUrl(fhirBase)));
        oauth.addExtension("token", new UriType(tokenUrl(fhirBase)));
    }
}

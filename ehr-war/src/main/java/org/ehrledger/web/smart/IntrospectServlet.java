package org.ehrledger.web.smart;

import jakarta.json.JsonObject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Token introspection (RFC 7662 as SMART App Launch 2 profiles it; {@code POST /smart/introspect}, form-encoded,
 * {@code token}): whether an access token is active, and what it grants. Its caller authenticates with client
 * credentials, as at the token endpoint (SMART asks that the two be consistent): a resource server is registered
 * as a backend service, approved by its account, and signs a client assertion ({@code private_key_jwt}); it may
 * introspect any access token of this replica. A confidential app may introspect its own tokens only (another's
 * are answered inactive). A public app cannot authenticate, and nobody is taken on a bearer token or anonymously
 * ({@code 401 invalid_client}), so nobody can probe tokens without credentials. An unknown, expired or revoked
 * token, a refresh token, or a person's own session is {@code {"active": false}}; an active one is answered with
 * {@code scope}, {@code client_id}, {@code sub}, {@code exp}, {@code iat}, {@code token_type}, the launch context
 * ({@code patient}, {@code need_patient_banner}) when the token answer had it, and {@code iss} and
 * {@code fhirUser} when the token answer had an ID token saying them. The token itself is never echoed.
 */
@WebServlet("/smart/introspect")
public class IntrospectServlet extends OAuthEndpoint {

    private static final long serialVersionUID = 1L;

    @Override
    String name() {
        return "introspection";
    }

    @Override
    JsonObject answer(HttpServletRequest request) {
        SmartClient caller = ClientAuthentication.any(request, clients, tokens);
        if (!caller.confidential()) {
            throw new SmartTokens.OAuthError("invalid_client", "token introspection is for resource servers registered as "
                    + "backend services (or confidential apps), authenticated by a client_assertion (private_key_jwt)");
        }
        if (caller.backend() && !caller.approved()) {
            throw new SmartTokens.OAuthError("unauthorized_client", "the account " + caller.account() + " this service acts "
                    + "as has not approved it");
        }
        String token = request.getParameter("token");
        if (token == null || token.isEmpty()) {
            throw new SmartTokens.OAuthError("invalid_request", "name the token to introspect (token)");
        }
        return tokens.active(token).filter(g -> caller.backend() || g.clientId().equals(caller.clientId()))
                .map(IntrospectServlet::describe)
                .orElse(JSON.createObjectBuilder().add("active", false).build());
    }

    /** What introspection says of an active token's grant. */
    static JsonObject describe(SmartTokens.Grant g) {
        var o = JSON.createObjectBuilder().add("active", true).add("scope", g.scopes().spelled()).add("client_id", g.clientId())
                .add("sub", g.userId()).add("exp", g.expiresAt() / 1000).add("iat", g.issuedAt() / 1000)
                .add("token_type", "Bearer");
        if (g.patient() != null) {
            o.add("patient", g.patient()).add("need_patient_banner", true);
        }
        if (g.issuer() != null && g.scopes().openid()) {
            o.add("iss", g.issuer());
        }
        if (g.fhirUser() != null) {
            o.add("fhirUser", g.fhirUser());
        }
        return o.build();
    }
}

package org.ehrledger.web.smart;

import java.util.Set;

import jakarta.json.JsonObject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The token endpoint ({@code POST /smart/token}, form-encoded): {@code authorization_code} (with the PKCE
 * verifier; a confidential app also signs a client assertion), {@code refresh_token} (rotating) and
 * {@code client_credentials} for backend services. Answers are JSON, never cached; tokens are never logged. With
 * {@code openid} granted, the answer carries an OpenID Connect {@code id_token} ({@link IdTokens}).
 */
@WebServlet("/smart/token")
public class TokenServlet extends OAuthEndpoint {

    private static final long serialVersionUID = 1L;

    @Override
    String name() {
        return "token";
    }

    @Override
    JsonObject answer(HttpServletRequest request) {
        SmartTokens.Issued issued = switch (String.valueOf(request.getParameter("grant_type"))) {
            case "authorization_code" -> {
                SmartClient c = ClientAuthentication.app(request, clients, tokens);
                yield tokens.exchange(request.getParameter("code"), c.clientId(), request.getParameter("redirect_uri"),
                        request.getParameter("code_verifier"));
            }
            case "refresh_token" -> {
                SmartClient c = ClientAuthentication.app(request, clients, tokens);
                yield tokens.refresh(request.getParameter("refresh_token"), c.clientId());
            }
            case "client_credentials" -> backend(request);
            default -> throw new SmartTokens.OAuthError("unsupported_grant_type",
                    "grant_type is authorization_code, refresh_token or client_credentials");
        };
        var body = JSON.createObjectBuilder().add("access_token", issued.accessToken()).add("token_type", "Bearer")
                .add("expires_in", issued.expiresInSeconds()).add("scope", issued.scope());
        if (issued.patient() != null) {
            body.add("patient", issued.patient()).add("need_patient_banner", true);
        }
        if (issued.refreshToken() != null) {
            body.add("refresh_token", issued.refreshToken());
        }
        if (issued.idToken() != null) {
            body.add("id_token", issued.idToken());
        }
        return body.build();
    }

    private SmartTokens.Issued backend(HttpServletRequest request) {
        SmartClient c = ClientAuthentication.backend(request, clients, tokens);
        if (!c.approved()) {
            throw new SmartTokens.OAuthError("unauthorized_client", "the account " + c.account() + " this service acts as has "
                    + "not approved it: signed in as " + c.account() + ", POST /api/v1/smart-clients/" + c.clientId() + "/approval");
        }
        Scopes asked;
        try {
            asked = Scopes.parse(request.getParameter("scope"));
        } catch (IllegalArgumentException e) {
            throw new SmartTokens.OAuthError("invalid_scope", e.getMessage());
        }
        Scopes granted = asked.only(Set.of(Scopes.Context.SYSTEM)).within(Scopes.parse(c.scope())).withoutPersonScopes();
        if (granted.rules().isEmpty()) {
            throw new SmartTokens.OAuthError("invalid_scope", "ask for system/ scopes this service is registered for: " + c.scope());
        }
        return tokens.backend(c, granted);
    }
}

package org.ehrledger.web.smart;

import java.io.IOException;
import java.util.Set;
import java.util.logging.Logger;

import jakarta.inject.Inject;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The token endpoint ({@code POST /smart/token}, form-encoded): {@code authorization_code} (with the PKCE
 * verifier; a confidential app also signs a client assertion), {@code refresh_token} (rotating) and
 * {@code client_credentials} for backend services. Answers are JSON, never cached; tokens are never logged. With
 * {@code openid} granted, the answer carries an OpenID Connect {@code id_token} ({@link IdTokens}).
 */
@WebServlet("/smart/token")
public class TokenServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger AUDIT = Logger.getLogger("org.ehrledger.audit");
    private static final JsonProvider JSON = JsonProvider.provider();

    @Inject
    transient SmartClients clients;

    @Inject
    transient SmartTokens tokens;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Pragma", "no-cache");
        String contentType = request.getContentType();
        if (contentType == null || !contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")
                || request.getContentLength() > 64 * 1024) {
            error(response, 400, "invalid_request", "send the token request form-encoded (at most 64 KiB)");
            return;
        }
        String clientId = request.getParameter("client_id");
        try {
            SmartTokens.Issued issued = switch (String.valueOf(request.getParameter("grant_type"))) {
                case "authorization_code" -> {
                    SmartClient c = client(clientId, request);
                    yield tokens.exchange(request.getParameter("code"), c.clientId(), request.getParameter("redirect_uri"),
                            request.getParameter("code_verifier"));
                }
                case "refresh_token" -> {
                    SmartClient c = client(clientId, request);
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
            response.setStatus(200);
            response.setContentType("application/json;charset=UTF-8");
            response.getWriter().write(body.build().toString());
        } catch (SmartTokens.OAuthError e) {
            AUDIT.warning(() -> "SMART token request refused (" + e.error() + ") for client " + safe(clientId) + ": " + e.getMessage());
            error(response, e.error().equals("invalid_client") ? 401 : 400, e.error(), e.getMessage());
        } catch (org.ehrledger.ejb.application.EhrException e) {
            error(response, 400, "invalid_request", e.getMessage());
        }
    }

    /** The registered client of a person's app; a confidential one proves itself with a signed assertion. */
    private SmartClient client(String clientId, HttpServletRequest request) {
        SmartClient c = clients.find(clientId).filter(x -> !x.backend())
                .orElseThrow(() -> new SmartTokens.OAuthError("invalid_client", "client_id is not a registered app"));
        if (c.confidential()) {
            ClientAssertions.verify(c, request.getParameter("client_assertion_type"), request.getParameter("client_assertion"),
                    request.getRequestURL().toString(), tokens);
        }
        return c;
    }

    private SmartTokens.Issued backend(HttpServletRequest request) {
        // The client is named by the assertion's iss/sub (client_id is optional in this grant).
        String assertion = request.getParameter("client_assertion");
        String issuer;
        try {
            issuer = assertion == null ? null : com.nimbusds.jwt.SignedJWT.parse(assertion).getJWTClaimsSet().getIssuer();
        } catch (java.text.ParseException e) {
            throw new SmartTokens.OAuthError("invalid_client", "client_assertion is not a signed JWT");
        }
        SmartClient c = clients.find(issuer).filter(SmartClient::backend)
                .orElseThrow(() -> new SmartTokens.OAuthError("invalid_client", "the assertion's issuer is not a registered backend service"));
        ClientAssertions.verify(c, request.getParameter("client_assertion_type"), assertion, request.getRequestURL().toString(),
                tokens);
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

    private static void error(HttpServletResponse response, int status, String error, String description) throws IOException {
        response.setStatus(status);
        if (status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        response.setContentType("application/json;charset=UTF-8");
        response.getWriter().write(JSON.createObjectBuilder().add("error", error).add("error_description", description).build()
                .toString());
    }

    private static String safe(String s) {
        return s == null ? "(none)" : s.replaceAll("[^A-Za-z0-9_\\-]", "?");
    }
}

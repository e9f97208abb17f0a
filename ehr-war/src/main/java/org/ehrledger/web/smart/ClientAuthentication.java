package org.ehrledger.web.smart;

import java.text.ParseException;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.servlet.http.HttpServletRequest;

import com.nimbusds.jwt.SignedJWT;

/**
 * How a client proves who it is, the same at the token, revocation and introspection endpoints: a public app by its
 * {@code client_id}; a confidential app by its {@code client_id} and a client assertion signed with one of its
 * registered keys ({@code private_key_jwt}, {@link ClientAssertions}); a backend service by its assertion, whose
 * issuer names it. An assertion's {@code aud} is the endpoint called or the token endpoint (as SMART names it).
 */
final class ClientAuthentication {

    private ClientAuthentication() {
    }

    /** A person's app (not a backend service), named by {@code client_id}; a confidential one also by its assertion. */
    static SmartClient app(HttpServletRequest request, SmartClients clients, SmartTokens tokens) {
        SmartClient c = clients.find(request.getParameter("client_id")).filter(x -> !x.backend())
                .orElseThrow(() -> new SmartTokens.OAuthError("invalid_client", "client_id is not a registered app"));
        if (c.confidential()) {
            verify(c, request, tokens);
        }
        return c;
    }

    /** A backend service, named by its assertion's issuer ({@code client_id} is optional with an assertion). */
    static SmartClient backend(HttpServletRequest request, SmartClients clients, SmartTokens tokens) {
        SmartClient c = clients.find(issuer(request)).filter(SmartClient::backend)
                .orElseThrow(() -> new SmartTokens.OAuthError("invalid_client", "the assertion's issuer is not a registered backend service"));
        verify(c, request, tokens);
        return c;
    }

    /**
     * Any registered client, named by {@code client_id} or else by its assertion's issuer: a public app by its id
     * alone, every other client by its assertion.
     */
    static SmartClient any(HttpServletRequest request, SmartClients clients, SmartTokens tokens) {
        String id = request.getParameter("client_id");
        SmartClient c = clients.find(id != null ? id : issuer(request)).orElseThrow(() -> new SmartTokens.OAuthError(
                "invalid_client", "name a registered client: client_id, or a client_assertion whose issuer is one"));
        if (c.confidential()) {
            verify(c, request, tokens);
        }
        return c;
    }

    private static void verify(SmartClient c, HttpServletRequest request, SmartTokens tokens) {
        ClientAssertions.verify(c, request.getParameter("client_assertion_type"), request.getParameter("client_assertion"),
                audiences(request), tokens);
    }

    /** The endpoint called and the token endpoint beside it (the same URL at the token endpoint). */
    static Set<String> audiences(HttpServletRequest request) {
        String called = request.getRequestURL().toString();
        return Stream.of(called, called.substring(0, called.lastIndexOf('/') + 1) + "token").collect(Collectors.toSet());
    }

    private static String issuer(HttpServletRequest request) {
        String assertion = request.getParameter("client_assertion");
        try {
            return assertion == null ? null : SignedJWT.parse(assertion).getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            throw new SmartTokens.OAuthError("invalid_client", "client_assertion is not a signed JWT");
        }
    }
}

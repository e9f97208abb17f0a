package org.ehrledger.web.smart;

import jakarta.json.JsonObject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Token revocation (RFC 7009; {@code POST /smart/revoke}, form-encoded): {@code token}, an access or refresh token,
 * and optionally {@code token_type_hint}, which is not needed (both kinds are looked up, and a hint that does not
 * match changes nothing). The client authenticates as at the token endpoint ({@link ClientAuthentication}). A refresh
 * token ends its whole authorization, an access token ends itself ({@link SmartTokens#revoke}). The answer is
 * {@code 200} with no body whether or not the token was known, expired or already revoked (RFC 7009 2.2). A token
 * issued to another client is refused with {@code invalid_grant} and nothing changes: RFC 7009 2.1 has the server
 * verify that the token was issued to the client asking and refuse the request if not; since only a holder of the
 * token learns this, it tells nothing that using the token would not. Nothing is kept of a request, so revocation
 * cannot make the server's memory grow.
 */
@WebServlet("/smart/revoke")
public class RevokeServlet extends OAuthEndpoint {

    private static final long serialVersionUID = 1L;

    @Override
    String name() {
        return "revocation";
    }

    @Override
    JsonObject answer(HttpServletRequest request) {
        SmartClient client = ClientAuthentication.any(request, clients, tokens);
        SmartTokens.Revoked ended = tokens.revoke(request.getParameter("token"), client.clientId());
        if (ended != SmartTokens.Revoked.NOTHING) {
            AUDIT.info(() -> "SMART client " + client.clientId() + " revoked " + (ended == SmartTokens.Revoked.AUTHORIZATION
                    ? "an authorization (its access and refresh tokens)" : "an access token"));
        }
        return null;
    }
}

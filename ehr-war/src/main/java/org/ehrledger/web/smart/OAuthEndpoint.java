package org.ehrledger.web.smart;

import java.io.IOException;
import java.util.logging.Logger;

import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.EhrException;

/**
 * What the authorization server's form-encoded endpoints ({@link TokenServlet}, {@link RevokeServlet},
 * {@link IntrospectServlet}) do alike: take a {@code POST} of at most 64 KiB, form-encoded; answer JSON that is
 * never cached; refuse with an OAuth error object ({@code 401} for {@code invalid_client}, else {@code 400}), logged
 * with the error and the client id. Tokens, codes and assertions are never logged.
 */
abstract class OAuthEndpoint extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /** The largest request body taken. */
    static final int MAX_FORM_BYTES = 64 * 1024;
    static final Logger AUDIT = Logger.getLogger("org.ehrledger.audit");
    static final JsonProvider JSON = JsonProvider.provider();

    @Inject
    transient SmartClients clients;

    @Inject
    transient SmartTokens tokens;

    /** The answer to a well-formed request: a JSON object, or null for an empty {@code 200}. */
    abstract JsonObject answer(HttpServletRequest request);

    /** What the log calls this endpoint's requests ("token", "revocation", ...). */
    abstract String name();

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Pragma", "no-cache");
        String contentType = request.getContentType();
        if (contentType == null || !contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")
                || request.getContentLength() > MAX_FORM_BYTES) {
            error(response, 400, "invalid_request", "send the " + name() + " request form-encoded (at most 64 KiB)");
            return;
        }
        try {
            JsonObject body = answer(request);
            response.setStatus(200);
            if (body != null) {
                response.setContentType("application/json;charset=UTF-8");
                response.getWriter().write(body.toString());
            }
        } catch (SmartTokens.OAuthError e) {
            String clientId = request.getParameter("client_id");
            AUDIT.warning(() -> "SMART " + name() + " request refused (" + e.error() + ") for client " + safe(clientId) + ": "
                    + e.getMessage());
            error(response, e.error().equals("invalid_client") ? 401 : 400, e.error(), e.getMessage());
        } catch (EhrException e) {
            error(response, 400, "invalid_request", e.getMessage());
        }
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

    /** A client id as the log may show it. */
    static String safe(String s) {
        return s == null ? "(none)" : s.substring(0, Math.min(s.length(), 64)).replaceAll("[^A-Za-z0-9_\\-]", "?");
    }
}

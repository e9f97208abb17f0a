package org.ehrledger.web.smart;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.web.fhir.FhirApplication;

/**
 * The authorization endpoint ({@code GET /smart/authorize}): checks an app's request, then sends the person to
 * the portal's consent page (through the portal's sign-in if they are not signed in). A request naming an
 * unknown app or a redirect URI not registered for it is answered here, never redirected (no open redirect);
 * every other fault goes back to the app's redirect URI with {@code error} and the {@code state}. An EHR launch
 * ({@code launch} with scope {@code launch}) is spent here, whatever the person answers later; an OpenID Connect
 * {@code nonce} is kept for the ID token.
 */
@WebServlet("/smart/authorize")
public class AuthorizeServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /**
     * The parameter naming the authorization request awaiting consent, on the consent page and through the
     * sign-in page. It travels in the URL, not the HTTP session: the portal's cookie is SameSite=Strict, so a
     * browser does not send it on the redirects of a navigation another site (the app) started.
     */
    public static final String REQUEST_PARAMETER = "request";
    /** The same on the sign-in page. */
    public static final String LOGIN_PARAMETER = "smart";
    /** What a request id looks like. */
    public static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9_\\-]{43}");
    /** Where the consent page is. */
    public static final String CONSENT_PAGE = "/smart/consent.xhtml";
    private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_\\-]{43}");

    @Inject
    transient SmartClients clients;

    @Inject
    transient SmartTokens tokens;

    @Inject
    transient Launches launches;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<SmartClient> client = clients.find(request.getParameter("client_id")).filter(c -> !c.backend());
        String redirect = request.getParameter("redirect_uri");
        if (client.isEmpty() || redirect == null || !client.get().redirectUris().contains(redirect)) {
            response.setStatus(400);
            response.setContentType("text/plain;charset=UTF-8");
            response.getWriter().write(client.isEmpty() ? "Unknown app (client_id): it must be registered by an administrator."
                    : "redirect_uri is not one registered for this app (exact match).");
            return;
        }
        String state = request.getParameter("state");
        String problem = problem(request, state);
        if (problem != null) {
            response.sendRedirect(AuthorizeServlet.back(redirect, state, "invalid_request", problem));
            return;
        }
        Scopes asked;
        try {
            asked = Scopes.parse(request.getParameter("scope"));
        } catch (IllegalArgumentException e) {
            response.sendRedirect(back(redirect, state, "invalid_scope", e.getMessage()));
            return;
        }
        Scopes granted = asked.only(Set.of(Scopes.Context.PATIENT, Scopes.Context.USER)).within(Scopes.parse(client.get().scope()));
        if (!granted.grantsAnything()) {
            response.sendRedirect(back(redirect, state, "invalid_scope", "ask for scopes this app is registered for: "
                    + client.get().scope()));
            return;
        }
        String launchId = request.getParameter("launch");
        if (launchId != null && !granted.launch()) {
            response.sendRedirect(back(redirect, state, "invalid_scope", "an EHR launch asks for scope launch (and the app is "
                    + "registered for it)"));
            return;
        }
        if (launchId == null && granted.launch()) {
            response.sendRedirect(back(redirect, state, "invalid_request", "scope launch needs the launch parameter the EHR "
                    + "gave the app; a standalone launch asks for launch/patient instead"));
            return;
        }
        Launches.Launch launch = null;
        if (launchId != null) {
            try {
                launch = launches.take(launchId, client.get().clientId());
            } catch (SmartTokens.OAuthError e) {
                response.sendRedirect(back(redirect, state, e.error(), e.getMessage()));
                return;
            }
        }
        String id = tokens.await(new SmartTokens.Pending(client.get().clientId(), redirect, granted, state,
                request.getParameter("code_challenge"), fhirBase(request), request.getParameter("nonce"), launch,
                System.currentTimeMillis() + SmartTokens.PENDING_MILLIS));
        response.sendRedirect(request.getContextPath() + CONSENT_PAGE + "?" + REQUEST_PARAMETER + "=" + id);
    }

    /** What is wrong with a request from a known app to one of its redirect URIs, or null. */
    private static String problem(HttpServletRequest request, String state) {
        if (!"code".equals(request.getParameter("response_type"))) {
            return "response_type is code";
        }
        if (state == null || state.isEmpty() || state.length() > 512) {
            return "state is required (at most 512 characters)";
        }
        if (!"S256".equals(request.getParameter("code_challenge_method"))
                || request.getParameter("code_challenge") == null || !CHALLENGE.matcher(request.getParameter("code_challenge")).matches()) {
            return "PKCE is required: code_challenge_method=S256 and a code_challenge of 43 characters";
        }
        String nonce = request.getParameter("nonce");
        if (nonce != null && (nonce.isEmpty() || nonce.length() > 512)) {
            return "nonce is at most 512 characters";
        }
        String aud = request.getParameter("aud");
        String base = fhirBase(request);
        if (aud == null || !(aud.equals(base) || aud.equals(base + "/"))) {
            return "aud must be this FHIR server's base URL, " + base;
        }
        return null;
    }

    /** This replica's FHIR base URL, as the request reached it. */
    public static String fhirBase(HttpServletRequest request) {
        String url = request.getRequestURL().toString();
        return url.substring(0, url.length() - request.getRequestURI().length()) + request.getContextPath() + FhirApplication.PATH;
    }

    /** The app's redirect URI with an answer's parameters (an error, or a code) and the state. */
    static String back(String redirect, String state, String key, String value) {
        StringBuilder b = new StringBuilder(redirect).append(redirect.contains("?") ? '&' : '?');
        if (key.equals("code")) {
            b.append("code=").append(enc(value));
        } else {
            b.append("error=").append(enc(key)).append("&error_description=").append(enc(value));
        }
        if (state != null) {
            b.append("&state=").append(enc(state));
        }
        return b.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

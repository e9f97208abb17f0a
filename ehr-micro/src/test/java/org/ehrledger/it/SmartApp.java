package org.ehrledger.it;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.AuthorizationResponse;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;

/**
 * A SMART app a person launches, as a test drives it: Nimbus' OAuth 2 client builds the authorization request
 * (PKCE S256, state, aud) and the token requests; a cookie-keeping HTTP client plays the person's browser
 * through the portal's sign-in and consent page (JSF forms with their view state), never following the final
 * redirect to the app, whose URL carries the answer.
 */
final class SmartApp {

    private static final Pattern VIEW_STATE = Pattern.compile("name=\"jakarta\\.faces\\.ViewState\"[^>]*value=\"([^\"]+)\"");

    final ClientID client;
    final URI redirect;
    final URI authorizeEndpoint;
    final URI tokenEndpoint;
    final String fhirBase;
    final CodeVerifier verifier = new CodeVerifier();
    final State state = new State();
    private final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    SmartApp(String clientId, String redirect, String authorize, String token, String fhirBase) {
        this.client = new ClientID(clientId);
        this.redirect = URI.create(redirect);
        this.authorizeEndpoint = URI.create(authorize);
        this.tokenEndpoint = URI.create(token);
        this.fhirBase = fhirBase;
    }

    /** The authorization request the app sends the person's browser to. */
    URI authorizationRequest(String scope) {
        return new AuthorizationRequest.Builder(new ResponseType(ResponseType.Value.CODE), client).endpointURI(authorizeEndpoint)
                .redirectionURI(redirect).scope(Scope.parse(scope)).state(state).codeChallenge(verifier, CodeChallengeMethod.S256)
                .customParameter("aud", fhirBase).build().toURI();
    }

    /**
     * The OpenID Connect authentication request of an app that also signs the person in ({@code openid} in the
     * scope), with a nonce, and the {@code launch} of an EHR launch (or null).
     */
    URI authenticationRequest(String scope, Nonce nonce, String launch) {
        AuthenticationRequest.Builder b = new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE),
                Scope.parse(scope), client, redirect).endpointURI(authorizeEndpoint).state(state).nonce(nonce)
                .codeChallenge(verifier, CodeChallengeMethod.S256).customParameter("aud", fhirBase);
        if (launch != null) {
            b.customParameter("launch", launch);
        }
        return b.build().toURI();
    }

    /** Exchanges a code for tokens read as an OpenID Connect token answer (which must carry an id_token). */
    OIDCTokenResponse exchangeForIdToken(AuthorizationCode code) throws IOException, ParseException {
        TokenResponse r = OIDCTokenResponseParser.parse(new TokenRequest(tokenEndpoint, client,
                new AuthorizationCodeGrant(code, redirect, verifier)).toHTTPRequest().send());
        return (OIDCTokenResponse) r.toSuccessResponse();
    }

    /** GET without following redirects, with the browser's cookies. */
    HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return browser.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Submits a JSF form of a page: its fields and the page's view state. */
    HttpResponse<String> submit(URI page, String html, Map<String, String> fields) throws IOException, InterruptedException {
        Matcher m = VIEW_STATE.matcher(html);
        if (!m.find()) {
            throw new IllegalStateException("no JSF view state on " + page + ":\n" + html);
        }
        String body = fields.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"))
                + "&" + enc("jakarta.faces.ViewState") + "=" + enc(m.group(1));
        return browser.send(HttpRequest.newBuilder(page).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Where a redirect answer points, resolved against the request. */
    static URI location(HttpResponse<String> r) {
        return r.uri().resolve(r.headers().firstValue("Location").orElseThrow(() -> new IllegalStateException(
                "expected a redirect, got " + r.statusCode() + ": " + r.body())));
    }

    /**
     * The person's browser from the authorization request to the consent page, signing in on the way; returns
     * the consent page.
     */
    HttpResponse<String> toConsentPage(URI authorizationRequest, String userId, String password) throws IOException, InterruptedException {
        HttpResponse<String> r = get(authorizationRequest);
        if (r.statusCode() != 302) {
            return r;
        }
        r = get(location(r)); // the consent page, which sends someone not signed in to the sign-in page
        if (r.statusCode() == 302) {
            URI login = location(r);
            HttpResponse<String> page = get(login);
            URI action = page.uri();
            r = submit(action, page.body(), Map.of("login", "login", "userId", userId, "password", password, "signIn", "Sign in",
                    "smart", query(login, "smart")));
            r = get(location(r));
        }
        return r;
    }

    /** Signs the person in with the portal's sign-in page, with no app's request waiting. */
    void signIn(String web, String userId, String password) throws IOException, InterruptedException {
        HttpResponse<String> page = get(URI.create(web + "/login.xhtml"));
        HttpResponse<String> r = submit(page.uri(), page.body(), Map.of("login", "login", "userId", userId, "password", password,
                "signIn", "Sign in", "smart", ""));
        if (r.statusCode() != 302) {
            throw new IllegalStateException("the sign-in of " + userId + " failed: " + r.statusCode() + "\n" + r.body());
        }
    }

    /** Presses a button of the consent page; returns the redirect to the app. */
    URI answer(HttpResponse<String> consentPage, String button, String patient) throws IOException, InterruptedException {
        Map<String, String> fields = new java.util.LinkedHashMap<>(Map.of("consent", "consent", button, button,
                "request", query(consentPage.uri(), "request")));
        if (patient != null) {
            fields.put("patient", patient);
        }
        return location(submit(consentPage.uri(), consentPage.body(), fields));
    }

    /** The app reads the redirect's answer with the OAuth library (which checks its shape). */
    static AuthorizationResponse response(URI redirected) throws ParseException {
        return AuthorizationResponse.parse(redirected);
    }

    /** Exchanges a code (with the PKCE verifier) for tokens, as a public client. */
    TokenResponse exchange(AuthorizationCode code, CodeVerifier v) throws IOException, ParseException {
        return token(new AuthorizationCodeGrant(code, redirect, v));
    }

    /** Any grant of a public client at the token endpoint. */
    TokenResponse token(AuthorizationGrant grant) throws IOException, ParseException {
        return TokenResponse.parse(new TokenRequest(tokenEndpoint, client, grant).toHTTPRequest().send());
    }

    /** A query parameter of a URI. */
    static String query(URI uri, String name) {
        for (String kv : String.valueOf(uri.getRawQuery()).split("&")) {
            if (kv.startsWith(name + "=")) {
                return java.net.URLDecoder.decode(kv.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        throw new IllegalStateException("no " + name + " in " + uri);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

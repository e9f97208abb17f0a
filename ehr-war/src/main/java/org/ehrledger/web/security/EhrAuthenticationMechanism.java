package org.ehrledger.web.security;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.CallerPrincipal;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStoreHandler;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;
import org.hl7.fhir.r4.model.OperationOutcome;

import org.ehrledger.web.api.Problems;
import org.ehrledger.web.fhir.Fhir;
import org.ehrledger.web.fhir.FhirProviders;
import org.ehrledger.web.fhir.Outcomes;
import org.ehrledger.web.smart.SmartTokens;

/**
 * The one authentication mechanism of the application (Jakarta Security 3 allows one per module), for
 * both channels; the container learns the caller's user id and role from a live session of
 * {@link CallerSessions}, never from the request:
 * <ul>
 * <li>API calls carry {@code Authorization: Bearer <token>} from {@code POST /api/v1/sessions}; an unknown
 * or expired token is answered 401 at once.</li>
 * <li>The portal signs in with a form: the login page calls {@code SecurityContext.authenticate} with the
 * user id and password, which the {@link AccountIdentityStore} checks; the session id then changes and
 * the HTTP session keeps the session token. Portal sessions are never accepted on {@code /api/}, so no
 * cross-site request can ride on the cookie there. Failed logins are throttled per address.</li>
 * <li>SOAP calls carry a WS-Security UsernameToken, checked by {@link SoapAuthenticator}, which then
 * presents the session's token here ({@link SessionTokenCredential}).</li>
 * </ul>
 * A protected page without a live session redirects to the login page.
 */
@ApplicationScoped
public class EhrAuthenticationMechanism implements HttpAuthenticationMechanism {

    /** HTTP session attribute holding the portal's session token. */
    public static final String SESSION_TOKEN = "ehr.session.token";
    private static final String BEARER = "Bearer ";

    @Inject
    CallerSessions sessions;

    @Inject
    IdentityStoreHandler identityStores;

    @Inject
    LoginThrottle throttle;

    @Inject
    LoginOutcome outcome;

    @Inject
    SmartTokens smart;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response,
                                                HttpMessageContext context) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return bearer(header.substring(BEARER.length()).strip(), request, response, context);
        }
        if (context.isAuthenticationRequest()
                && context.getAuthParameters().getCredential() instanceof UsernamePasswordCredential credential) {
            return formLogin(credential, request, context);
        }
        if (context.isAuthenticationRequest()
                && context.getAuthParameters().getCredential() instanceof SessionTokenCredential session) {
            // the SOAP service, having checked a UsernameToken: no HTTP session, just this request
            return sessions.find(session.token()).map(s -> context.notifyContainerAboutLogin(
                    new CallerPrincipal(s.userId()), Set.of(s.role().name()))).orElse(AuthenticationStatus.SEND_FAILURE);
        }
        if (isMachineInterface(request)) {
            return context.doNothing();
        }
        HttpSession http = request.getSession(false);
        String token = http == null ? null : (String) http.getAttribute(SESSION_TOKEN);
        if (token != null) {
            Optional<CallerSessions.Session> live = sessions.find(token);
            if (live.isPresent()) {
                return context.notifyContainerAboutLogin(new CallerPrincipal(live.get().userId()),
                        Set.of(live.get().role().name()));
            }
            http.invalidate(); // idle timeout, lifetime, suspension or sign-out elsewhere
            if (context.isProtected()) {
                return context.redirect(request.getContextPath() + "/login.xhtml?ended=true");
            }
        }
        if (context.isProtected()) {
            return context.redirect(request.getContextPath() + "/login.xhtml");
        }
        return context.doNothing();
    }

    /** The JSON API and the FHIR facade: bearer tokens only, never the portal's session. */
    private static boolean isMachineInterface(HttpServletRequest request) {
        String uri = request.getRequestURI();
        return uri.startsWith(request.getContextPath() + "/api/") || uri.startsWith(request.getContextPath() + "/fhir/");
    }

    private AuthenticationStatus bearer(String token, HttpServletRequest request, HttpServletResponse response,
                                        HttpMessageContext context) {
        Optional<CallerSessions.Session> session = sessions.find(token);
        if (session.isEmpty()) {
            try {
                response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                String why = "the bearer token is unknown or expired; sign in again (POST /api/v1/sessions)";
                if (request.getRequestURI().startsWith(request.getContextPath() + "/fhir/")) {
                    FhirProviders.audit(401, null, null, null, why + " (" + request.getRequestURI() + ")");
                    response.setStatus(401);
                    response.setContentType(Fhir.JSON + ";charset=UTF-8");
                    response.getOutputStream().write(Fhir.encode(Outcomes.of(OperationOutcome.IssueSeverity.ERROR,
                            OperationOutcome.IssueType.LOGIN, ErrorCode.UNAUTHENTICATED.name(), why), false));
                } else {
                    Problems.write(response, ErrorCode.UNAUTHENTICATED, why);
                }
            } catch (IOException e) {
                response.setStatus(401);
            }
            return AuthenticationStatus.SEND_FAILURE;
        }
        CallerSessions.Session s = session.get();
        Optional<SmartTokens.Grant> grant = smart.grantOf(token);
        if (grant.isPresent()) {
            // An app's token acts on the FHIR facade only, and only as far as its scopes allow (SmartScopes there).
            if (!request.getRequestURI().startsWith(request.getContextPath() + "/fhir/")) {
                response.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\"");
                try {
                    Problems.write(response, ErrorCode.FORBIDDEN, "an app's SMART access token is for the FHIR facade only");
                } catch (IOException e) {
                    response.setStatus(403);
                }
                return AuthenticationStatus.SEND_FAILURE;
            }
            request.setAttribute(SmartTokens.GRANT_ATTRIBUTE, grant.get());
        }
        return context.notifyContainerAboutLogin(new CallerPrincipal(s.userId()), Set.of(s.role().name()));
    }

    private AuthenticationStatus formLogin(UsernamePasswordCredential credential, HttpServletRequest request,
                                           HttpMessageContext context) {
        String address = request.getRemoteAddr();
        if (throttle.blocked(address)) {
            outcome.failed("Too many failed sign-ins from your address. Wait a few minutes and try again.");
            return AuthenticationStatus.SEND_FAILURE;
        }
        CredentialValidationResult result = identityStores.validate(credential);
        if (result.getStatus() != CredentialValidationResult.Status.VALID
                || !(result.getCallerPrincipal() instanceof SessionPrincipal principal)) {
            throttle.failed(address);
            return AuthenticationStatus.SEND_FAILURE;
        }
        if (request.getSession(false) != null) {
            request.changeSessionId(); // no session fixation: the id changes on login
        }
        HttpSession http = request.getSession(true);
        Object previous = http.getAttribute(SESSION_TOKEN);
        if (previous instanceof String old && !old.equals(principal.token())) {
            sessions.close(old);
        }
        http.setAttribute(SESSION_TOKEN, principal.token());
        outcome.succeeded(principal.getName(), result.getCallerGroups());
        return context.notifyContainerAboutLogin(new CallerPrincipal(principal.getName()), result.getCallerGroups());
    }
}

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
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.infrastructure.identity.CallerSessions;
import org.ehrledger.web.api.Problems;

/**
 * Authenticates API calls by bearer token ({@code Authorization: Bearer <token>} from
 * {@code POST /api/v1/sessions}): the container learns the caller's user id and role from the live
 * session, never from the request. An unknown or expired token is answered 401 at once; a request
 * without credentials goes on unauthenticated, and every protected operation then refuses it.
 */
@ApplicationScoped
public class TokenAuthenticationMechanism implements HttpAuthenticationMechanism {

    private static final String BEARER = "Bearer ";

    @Inject
    CallerSessions sessions;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response,
                                                HttpMessageContext context) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return context.doNothing();
        }
        Optional<CallerSessions.Session> session = sessions.find(header.substring(BEARER.length()).strip());
        if (session.isEmpty()) {
            try {
                response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                Problems.write(response, 401, "UNAUTHENTICATED", "Authentication required",
                        "the bearer token is unknown or expired; sign in again (POST /api/v1/sessions)");
            } catch (IOException e) {
                response.setStatus(401);
            }
            return AuthenticationStatus.SEND_FAILURE;
        }
        CallerSessions.Session s = session.get();
        return context.notifyContainerAboutLogin(new CallerPrincipal(s.userId()), Set.of(s.role().name()));
    }
}

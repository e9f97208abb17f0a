package org.ehrledger.web.security;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.SecurityContext;
import jakarta.security.enterprise.authentication.mechanism.http.AuthenticationParameters;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.AccountService;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/**
 * Authenticates SOAP calls from a UsernameToken. A billing system sends its password with every call;
 * opening its keys each time (PBKDF2) would cost a second per call, so a verified user id and password
 * (only their SHA-256 is kept) map to one application session, reused while it lives. The caller then
 * becomes the container's principal through the application's authentication mechanism.
 */
@ApplicationScoped
public class SoapAuthenticator {

    static final int MAX_CACHED = 10_000;

    @EJB
    AccountService accounts;

    @Inject
    CallerSessions sessions;

    @Inject
    SecurityContext security;

    @Inject
    LoginThrottle throttle;

    private final Map<String, String> tokens = new ConcurrentHashMap<>();

    /** Authenticates the request as the user; null on success, else why not. */
    public String authenticate(String userId, char[] password, HttpServletRequest request, HttpServletResponse response) {
        String address = request.getRemoteAddr();
        if (throttle.blocked(address)) {
            return "too many failed attempts from your address; wait a few minutes";
        }
        String key = Digest.sha256((userId + "\u0000" + new String(password)).getBytes(StandardCharsets.UTF_8)).hex();
        String token = tokens.get(key);
        if (token == null || sessions.find(token).isEmpty()) {
            try {
                token = accounts.signIn(userId, password).token();
            } catch (EhrException e) {
                if (e.code() == ErrorCode.UNAUTHENTICATED) {
                    throttle.failed(address); // a password checked and wrong; a lock or a wait costs nothing
                    return "wrong user id or password";
                }
                return e.getMessage();
            }
            if (tokens.size() >= MAX_CACHED) {
                tokens.clear();
            }
            tokens.put(key, token);
        }
        AuthenticationStatus status = security.authenticate(request, response,
                AuthenticationParameters.withParams().credential(new SessionTokenCredential(token)));
        return status == AuthenticationStatus.SUCCESS ? null : "the session could not be established; try again";
    }
}

package org.ehrledger.web.security;

import jakarta.security.enterprise.CallerPrincipal;

/** A caller just signed in, with the token of their new session (kept only in their HTTP session). */
public final class SessionPrincipal extends CallerPrincipal {

    private static final long serialVersionUID = 1L;
    private final transient String token;

    SessionPrincipal(String userId, String token) {
        super(userId);
        this.token = token;
    }

    String token() {
        return token;
    }
}

package org.ehrledger.web.security;

import java.util.Set;

import jakarta.enterprise.context.RequestScoped;

/** What became of a sign-in in this request, for the login page to say (never which of id or password was wrong). */
@RequestScoped
public class LoginOutcome {

    private String failure;
    private String userId;
    private Set<String> roles = Set.of();

    void failed(String message) {
        if (failure == null) {
            failure = message;
        }
    }

    void succeeded(String user, Set<String> groups) {
        userId = user;
        roles = Set.copyOf(groups);
    }

    /** Why the sign-in failed, or null. */
    public String failure() {
        return failure;
    }

    /** Who signed in, or null. */
    public String userId() {
        return userId;
    }

    /** Their roles. */
    public Set<String> roles() {
        return roles;
    }
}

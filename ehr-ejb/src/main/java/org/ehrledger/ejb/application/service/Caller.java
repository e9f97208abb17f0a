package org.ehrledger.ejb.application.service;

import java.security.Principal;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.SecurityContext;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/** The authenticated caller of the current request: their id (the container's principal) and keys. */
@RequestScoped
public class Caller {

    @Inject
    SecurityContext security;

    @Inject
    CallerSessions sessions;

    /** The caller's user id. */
    public String id() {
        Principal p = security.getCallerPrincipal();
        if (p == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "sign in first");
        }
        return p.getName();
    }

    /** The caller's unlocked keys (held by their session). */
    public UserKeys keys() {
        return sessions.keysOf(id());
    }
}

package org.ehrledger.web.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.service.AccountService;
import org.ehrledger.ejb.application.service.SignedIn;

/**
 * The database identity store: accounts of this replica in its Derby database. No password or password
 * hash is stored; the password opens the person's sealed private keys (PBKDF2-HMAC-SHA256 with 600,000
 * iterations, then AES-GCM), which is the check, and a success opens a session holding those keys.
 * Lockout after repeated failures is the account's (see {@link AccountService#signIn}).
 */
@ApplicationScoped
public class AccountIdentityStore implements IdentityStore {

    @EJB
    AccountService accounts;

    @Inject
    LoginOutcome outcome;

    /** Checks a user id and password. */
    public CredentialValidationResult validate(UsernamePasswordCredential credential) {
        try {
            SignedIn s = accounts.signIn(credential.getCaller(), credential.getPassword().getValue());
            return new CredentialValidationResult(new SessionPrincipal(s.userId(), s.token()), Set.of(s.role()));
        } catch (EhrException e) {
            outcome.failed(switch (e.code()) {
                case UNAUTHENTICATED -> "Wrong user id or password.";
                default -> capitalised(e.getMessage()) + ".";
            });
            return CredentialValidationResult.INVALID_RESULT;
        }
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}

package org.ehrledger.web.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.TooManyAttemptsException;

/**
 * Failed sign-ins per client address, on every sign-in path (the JSON API's sessions, the portal's form,
 * SOAP's UsernameToken): after {@value #MAX_FAILURES} failures within {@value #WINDOW_MILLIS} ms the
 * address must wait for the window to pass, and is refused before any password is checked (no PBKDF2).
 * Complements the per-account lockout, which an attacker spreading guesses over many accounts would not
 * trigger. Bounded to {@value #MAX_ADDRESSES} addresses. The address is the connection's: behind a reverse
 * proxy all clients share the proxy's, so the proxy must throttle instead.
 */
@ApplicationScoped
public class LoginThrottle {

    static final int MAX_FAILURES = 20;
    static final long WINDOW_MILLIS = 5 * 60_000L;
    static final int MAX_ADDRESSES = 50_000;

    private record Window(long start, int failures) {
    }

    private final Map<String, Window> failures = new ConcurrentHashMap<>();

    /**
     * Checks a secret presented from {@code address} (a password, an enrolment code, recovery codes): refused
     * before the check runs while the address is blocked ({@link TooManyAttemptsException}, with the seconds
     * to wait), and counted as a failure when the check answers {@code wrongSecret}, the code by which it
     * says the secret was wrong (the per-account lock and every other refusal are not counted).
     */
    public <T> T attempt(String address, ErrorCode wrongSecret, Supplier<T> check) {
        long wait = retryAfterSeconds(address);
        if (wait > 0) {
            throw new TooManyAttemptsException("too many failed attempts from your address; try again in " + wait + " s",
                    wait);
        }
        try {
            return check.get();
        } catch (EhrException e) {
            if (e.code() == wrongSecret) {
                failed(address);
            }
            throw e;
        }
    }

    /** Whether sign-ins from an address are refused now. */
    public boolean blocked(String address) {
        return retryAfterSeconds(address) > 0;
    }

    /** Seconds until sign-ins from an address are accepted again (0: they are now). */
    public long retryAfterSeconds(String address) {
        Window w = failures.get(address);
        long left = w == null || w.failures() < MAX_FAILURES ? 0 : w.start() + WINDOW_MILLIS - System.currentTimeMillis();
        return left <= 0 ? 0 : (left + 999) / 1000;
    }

    /** Counts a failed sign-in. */
    public void failed(String address) {
        long now = System.currentTimeMillis();
        if (failures.size() >= MAX_ADDRESSES) {
            failures.values().removeIf(w -> now - w.start() >= WINDOW_MILLIS);
            if (failures.size() >= MAX_ADDRESSES) {
                failures.clear();
            }
        }
        failures.compute(address, (a, w) -> w == null || now - w.start() >= WINDOW_MILLIS ? new Window(now, 1)
                : new Window(w.start(), w.failures() + 1));
    }
}

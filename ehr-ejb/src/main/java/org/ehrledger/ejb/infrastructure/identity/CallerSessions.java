package org.ehrledger.ejb.infrastructure.identity;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.Providers;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/**
 * Signed-in sessions of this replica. Signing in opens the person's sealed keys with their password;
 * the session keeps them in memory (never on disk) so the session beans can sign transactions as that
 * person, and hands out a random bearer token. Only the token's SHA-256 is kept. Sessions end after
 * 30 minutes without use, 12 hours at most, or on sign-out; at most {@value #MAX_SESSIONS} at once, and at most
 * {@value #MAX_SESSIONS_PER_PERSON} of one person: their next sign-in ends their least recently used session,
 * so nobody is locked out by sessions they forgot and no account holds more than its share of the slots.
 */
@ApplicationScoped
public class CallerSessions {

    /** Most sessions held at once. */
    public static final int MAX_SESSIONS = 10_000;
    /** Most sessions of one person held at once. */
    public static final int MAX_SESSIONS_PER_PERSON = 10;
    /** Idle timeout. */
    public static final long IDLE_MILLIS = 30 * 60_000L;
    /** Absolute lifetime. */
    public static final long MAX_LIFETIME_MILLIS = 12 * 3_600_000L;

    /** A signed-in person. */
    public static final class Session {
        private final String userId;
        private final Role role;
        private final String organisation;
        private final String displayName;
        private final UserKeys keys;
        private final long createdAt;
        /** A derived session's fixed end (no idle timeout), or 0 for a sign-in's session. */
        private final long fixedEnd;
        private volatile long lastUsed;

        Session(String userId, Role role, String organisation, String displayName, UserKeys keys, long now) {
            this(userId, role, organisation, displayName, keys, now, 0);
        }

        private Session(String userId, Role role, String organisation, String displayName, UserKeys keys, long now,
                        long fixedEnd) {
            this.userId = userId;
            this.role = role;
            this.organisation = organisation;
            this.displayName = displayName;
            this.keys = keys;
            this.createdAt = now;
            this.fixedEnd = fixedEnd;
            this.lastUsed = now;
        }

        public String userId() {
            return userId;
        }

        public Role role() {
            return role;
        }

        public String organisation() {
            return organisation;
        }

        public String displayName() {
            return displayName;
        }

        UserKeys keys() {
            return keys;
        }

        /** When the session ends if unused from now on. */
        public long expiresAt() {
            return fixedEnd > 0 ? fixedEnd : Math.min(lastUsed + IDLE_MILLIS, createdAt + MAX_LIFETIME_MILLIS);
        }

        boolean expired(long now) {
            return now >= expiresAt();
        }
    }

    private final Map<String, Session> byTokenHash = new ConcurrentHashMap<>();
    /** The most recently used session of each person (the keys are the same in all of them). */
    private final Map<String, Session> latestByUser = new ConcurrentHashMap<>();

    /** Opens a session and returns its bearer token (shown to the caller once, never stored). */
    public String open(String userId, Role role, String organisation, String displayName, UserKeys keys) {
        return open(userId, role, organisation, displayName, keys, 0);
    }

    /**
     * Opens a session of the same person with the keys of the live session of {@code liveToken}, ending at a
     * fixed time (at most {@value #MAX_LIFETIME_MILLIS} ms from now, no idle timeout): the sessions an app is
     * given by SMART on FHIR, which the person's suspension or password change ends like any other, but their
     * signing out of the portal does not. The keys stay in this replica's memory only.
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} if {@code liveToken}'s session has ended
     */
    public String derive(String liveToken, long lifetimeMillis) {
        Session live = find(liveToken).orElseThrow(() -> new EhrException(ErrorCode.UNAUTHENTICATED,
                "the session has ended; sign in again"));
        return derived(live, lifetimeMillis);
    }

    /**
     * Like {@link #derive} from the most recently used live session of a person (a backend service acting as an
     * organisation's account while that account is signed in at this replica).
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} if the person has no live session here
     */
    public String deriveFor(String userId, long lifetimeMillis) {
        keysOf(userId);
        Session latest = latestByUser.get(userId);
        if (latest == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "the account has no live session at this replica");
        }
        return derived(latest, lifetimeMillis);
    }

    private String derived(Session from, long lifetimeMillis) {
        long end = System.currentTimeMillis() + Math.max(1, Math.min(lifetimeMillis, MAX_LIFETIME_MILLIS));
        return open(from.userId, from.role, from.organisation, from.displayName, from.keys, end);
    }

    private String open(String userId, Role role, String organisation, String displayName, UserKeys keys, long fixedEnd) {
        long now = System.currentTimeMillis();
        if (byTokenHash.size() >= MAX_SESSIONS) {
            byTokenHash.values().removeIf(s -> s.expired(now));
            latestByUser.values().removeIf(s -> s.expired(now));
            if (byTokenHash.size() >= MAX_SESSIONS) {
                throw new EhrException(ErrorCode.BUSY, "too many people are signed in at this replica; try again later");
            }
        }
        endLeastRecentlyUsedBeyondCap(userId, now);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(Providers.randomBytes(32));
        Session session = new Session(userId, role, organisation, displayName, keys, now, fixedEnd);
        byTokenHash.put(hash(token), session);
        latestByUser.putIfAbsent(userId, session);
        if (fixedEnd == 0) {
            latestByUser.put(userId, session);
        }
        return token;
    }

    /** Makes room for one more session of a person: ends their expired sessions, then the least recently used. */
    private void endLeastRecentlyUsedBeyondCap(String userId, long now) {
        List<Map.Entry<String, Session>> mine = new ArrayList<>();
        for (Map.Entry<String, Session> e : byTokenHash.entrySet()) {
            if (e.getValue().userId.equals(userId)) {
                if (e.getValue().expired(now)) {
                    byTokenHash.remove(e.getKey(), e.getValue());
                } else {
                    mine.add(e);
                }
            }
        }
        if (mine.size() < MAX_SESSIONS_PER_PERSON) {
            return;
        }
        mine.sort(Comparator.comparingLong(e -> e.getValue().lastUsed));
        for (Map.Entry<String, Session> e : mine.subList(0, mine.size() - MAX_SESSIONS_PER_PERSON + 1)) {
            byTokenHash.remove(e.getKey(), e.getValue());
            latestByUser.remove(userId, e.getValue());
        }
    }

    /** The live session of a token, touched; empty if unknown or expired. */
    public Optional<Session> find(String token) {
        if (token == null || token.length() > 100) {
            return Optional.empty();
        }
        String h = hash(token);
        Session s = byTokenHash.get(h);
        long now = System.currentTimeMillis();
        if (s == null) {
            return Optional.empty();
        }
        if (s.expired(now)) {
            byTokenHash.remove(h);
            latestByUser.remove(s.userId, s);
            return Optional.empty();
        }
        s.lastUsed = now;
        latestByUser.put(s.userId, s);
        return Optional.of(s);
    }

    /** Ends a session. */
    public void close(String token) {
        if (token != null) {
            Session s = byTokenHash.remove(hash(token));
            if (s != null) {
                latestByUser.remove(s.userId, s);
            }
        }
    }

    /** Ends every session of a person (suspension, certificate revocation). */
    public void closeAllOf(String userId) {
        byTokenHash.values().removeIf(s -> s.userId.equals(userId));
        latestByUser.remove(userId);
    }

    /** Ends every session of a person except the one of {@code keptToken} (a password change). */
    public void closeAllOfExcept(String userId, String keptToken) {
        String kept = keptToken == null ? null : hash(keptToken);
        byTokenHash.entrySet().removeIf(e -> e.getValue().userId.equals(userId) && !e.getKey().equals(kept));
        Session still = kept == null ? null : byTokenHash.get(kept);
        if (still != null && still.userId.equals(userId)) {
            latestByUser.put(userId, still);
        } else {
            latestByUser.remove(userId);
        }
    }

    /**
     * The unlocked keys of a signed-in person (the container has authenticated them by a session token).
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} if they have no live session here
     */
    public UserKeys keysOf(String userId) {
        long now = System.currentTimeMillis();
        Session latest = latestByUser.get(userId);
        if (latest != null && !latest.expired(now)) {
            return latest.keys;
        }
        for (Session s : byTokenHash.values()) {
            if (s.userId.equals(userId) && !s.expired(now)) {
                latestByUser.put(userId, s);
                return s.keys;
            }
        }
        latestByUser.remove(userId);
        throw new EhrException(ErrorCode.UNAUTHENTICATED, "your session has ended; sign in again");
    }

    private static String hash(String token) {
        return Digest.sha256(token.getBytes(StandardCharsets.US_ASCII)).hex();
    }
}

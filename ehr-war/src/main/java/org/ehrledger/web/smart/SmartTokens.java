package org.ehrledger.web.smart;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.crypto.Providers;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;

/**
 * The authorization server's state, all in this replica's memory and bounded: authorization requests awaiting
 * the person's consent, authorization codes, and the grants behind access and refresh tokens. Only SHA-256
 * hashes of codes and tokens are kept. An access token is a session of {@link CallerSessions} derived from the
 * person's (so it holds their unlocked keys and works at this replica only); the grant here says what it may
 * do. With {@code openid} granted, each token answer carries an ID token ({@link IdTokens}). A restart of the
 * replica forgets all of it: apps then send the person through the authorization again, since their keys open
 * only with their password.
 */
@ApplicationScoped
public class SmartTokens {

    /** Request attribute: the {@link Grant} of the app's access token the request carries. */
    public static final String GRANT_ATTRIBUTE = "ehr.smart.grant";
    /** How long a person has to sign in and consent. */
    public static final long PENDING_MILLIS = 10 * 60_000L;
    /** How long an authorization code lives. */
    public static final long CODE_MILLIS = 60_000L;
    /** How long an access token of an app a person launched lives. */
    public static final long ACCESS_MILLIS = 60 * 60_000L;
    /** How long a backend service's access token lives (SMART Backend Services: at most 5 minutes). */
    public static final long BACKEND_ACCESS_MILLIS = 5 * 60_000L;
    /** How long an authorization with {@code offline_access} lasts: its refresh tokens end with it. */
    public static final long OFFLINE_MILLIS = CallerSessions.MAX_LIFETIME_MILLIS;
    /** The most entries of each table (pending requests, codes, grants, refresh tokens, seen assertions). */
    public static final int MAX_ENTRIES = 10_000;

    private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9\\-._~]{43,128}");

    /**
     * An authorization request awaiting the person's consent.
     *
     * @param issuer the FHIR base the app named as {@code aud}: the {@code iss} of its ID token
     * @param nonce  the request's {@code nonce} (OpenID Connect), or null
     * @param launch the EHR launch it came with (already spent), or null for a standalone launch
     */
    public record Pending(String clientId, String redirectUri, Scopes scopes, String state, String codeChallenge,
                          String issuer, String nonce, Launches.Launch launch, long expiresAt) {
    }

    /**
     * What an access token may do: for whom, through which app, with which scopes, and the patient in context
     * (null if none).
     */
    public record Grant(String authorization, String clientId, String userId, Scopes scopes, String patient, long expiresAt) {
    }

    /** The answer of the token endpoint; {@code idToken} only with {@code openid} granted, else null. */
    public record Issued(String accessToken, long expiresInSeconds, String scope, String patient, String refreshToken,
                         String idToken) {
    }

    /** An OAuth error of the token endpoint ({@code invalid_grant}, {@code invalid_client}, ...). */
    public static final class OAuthError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String error;

        public OAuthError(String error, String description) {
            super(description);
            this.error = error;
        }

        public String error() {
            return error;
        }
    }

    private record Code(String clientId, String redirectUri, String codeChallenge, String authorization, long expiresAt) {
    }

    /** One consent given to an app: its anchor session (holding the keys) and its current tokens. */
    private static final class Authorization {
        final String id;
        final String clientId;
        final String userId;
        final Scopes scopes;
        final String patient;
        final String anchorToken;
        final long endsAt;
        /** What the ID tokens of this authorization say besides the person and the app. */
        final String issuer;
        final String nonce;
        final String fhirUser;
        volatile String accessToken;
        volatile String refreshHash;

        Authorization(String id, String clientId, String userId, Scopes scopes, String patient, String anchorToken, long endsAt,
                      String issuer, String nonce, String fhirUser) {
            this.id = id;
            this.clientId = clientId;
            this.userId = userId;
            this.scopes = scopes;
            this.patient = patient;
            this.anchorToken = anchorToken;
            this.endsAt = endsAt;
            this.issuer = issuer;
            this.nonce = nonce;
            this.fhirUser = fhirUser;
        }
    }

    @Inject
    CallerSessions sessions;

    @Inject
    IdTokens idTokens;

    LongSupplier clock = System::currentTimeMillis;

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Code> codes = new ConcurrentHashMap<>();
    /** Codes already exchanged, until they would have expired: a second exchange revokes what the first gave. */
    private final Map<String, Code> usedCodes = new ConcurrentHashMap<>();
    private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private final Map<String, String> refreshTokens = new ConcurrentHashMap<>();
    /** Refresh tokens already rotated away, for their authorization's life: reuse means theft, and ends it. */
    private final Map<String, String> rotatedRefreshTokens = new ConcurrentHashMap<>();
    private final Map<String, Long> seenAssertions = new ConcurrentHashMap<>();

    /** Keeps an authorization request until the person consents; returns its id. */
    public String await(Pending request) {
        room(pending, p -> p.expiresAt() <= clock.getAsLong());
        String id = random();
        pending.put(id, request);
        return id;
    }

    /** An authorization request still awaiting consent. */
    public Optional<Pending> pending(String id) {
        Pending p = id == null ? null : pending.get(id);
        if (p == null || p.expiresAt() <= clock.getAsLong()) {
            return Optional.empty();
        }
        return Optional.of(p);
    }

    /**
     * The person approved: a fresh single-use code bound to the client, the redirect URI and the PKCE challenge.
     * The person's portal session lends its keys to a session of the authorization's own (12 hours with
     * {@code offline_access}, otherwise as long as one access token). After an EHR launch, the patient in context
     * is the launch's, and only the practitioner who launched may approve.
     */
    public String approve(String pendingId, String userId, String portalSessionToken, Scopes granted, String patient) {
        Pending p = pending.remove(pendingId);
        if (p == null || p.expiresAt() <= clock.getAsLong()) {
            throw new OAuthError("invalid_request", "the authorization request has expired; start again from the app");
        }
        if (p.launch() != null && !p.launch().practitioner().equals(userId)) {
            throw new OAuthError("invalid_request", "the EHR launch was created for another user; launch the app again "
                    + "from your own session in the portal");
        }
        String context = p.launch() != null ? p.launch().patient() : patient;
        long lifetime = granted.offline() ? OFFLINE_MILLIS : CODE_MILLIS + ACCESS_MILLIS;
        String anchor = sessions.derive(portalSessionToken, lifetime);
        String fhirUser = sessions.find(anchor).map(s -> fhirUser(p.issuer(), s.role(), userId)).orElse(null);
        room(authorizations, a -> a.endsAt <= clock.getAsLong());
        Authorization a = new Authorization(random(), p.clientId(), userId, granted, context, anchor,
                clock.getAsLong() + lifetime, p.issuer(), p.nonce(), fhirUser);
        authorizations.put(a.id, a);
        room(codes, c -> c.expiresAt() <= clock.getAsLong());
        String code = random();
        codes.put(hash(code), new Code(p.clientId(), p.redirectUri(), p.codeChallenge(), a.id, clock.getAsLong() + CODE_MILLIS));
        return code;
    }

    /**
     * The FHIR URL of a person's own resource, or null if the facade serves none for their role: a patient's
     * {@code Patient/<user id>}, a practitioner's {@code Practitioner/<user id>} (other staff are not in the
     * directory).
     */
    static String fhirUser(String fhirBase, Role role, String userId) {
        return switch (role) {
            case PATIENT -> fhirBase + "/Patient/" + userId;
            case PRACTITIONER -> fhirBase + "/Practitioner/" + userId;
            default -> null;
        };
    }

    /** The person denied: the request is forgotten. */
    public void deny(String pendingId) {
        pending.remove(pendingId);
    }

    /**
     * Exchanges a code for tokens: the same client and redirect URI as the code was issued for, and the PKCE
     * verifier whose S256 digest is the challenge. A code is used once; a second attempt revokes the tokens the
     * first gave (RFC 6749 4.1.2).
     */
    public Issued exchange(String code, String clientId, String redirectUri, String verifier) {
        if (code == null || clientId == null || redirectUri == null) {
            throw new OAuthError("invalid_request", "code, client_id and redirect_uri are required");
        }
        String h = hash(code);
        Code used = usedCodes.get(h);
        if (used != null) {
            revoke(used.authorization());
            throw new OAuthError("invalid_grant", "the code was already used; the tokens it gave are revoked");
        }
        Code c = codes.remove(h);
        if (c == null || c.expiresAt() <= clock.getAsLong()) {
            throw new OAuthError("invalid_grant", "the code is unknown or expired");
        }
        room(usedCodes, u -> u.expiresAt() <= clock.getAsLong());
        usedCodes.put(h, c);
        Authorization a = authorizations.get(c.authorization());
        if (!c.clientId().equals(clientId) || !c.redirectUri().equals(redirectUri) || a == null) {
            revoke(c.authorization());
            throw new OAuthError("invalid_grant", "the code was issued to another client or redirect_uri");
        }
        if (verifier == null || !VERIFIER.matcher(verifier).matches() || !s256(verifier).equals(c.codeChallenge())) {
            revoke(c.authorization());
            throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)");
        }
        return issue(a, true);
    }

    /**
     * A new access token, and a new refresh token in place of the one presented (rotation). A refresh token
     * presented again after it was rotated away revokes its whole authorization.
     */
    public Issued refresh(String refreshToken, String clientId) {
        if (refreshToken == null || clientId == null) {
            throw new OAuthError("invalid_request", "refresh_token and client_id are required");
        }
        String h = hash(refreshToken);
        String stolen = rotatedRefreshTokens.get(h);
        if (stolen != null) {
            revoke(stolen);
            throw new OAuthError("invalid_grant", "the refresh token was already used; the authorization is revoked");
        }
        String id = refreshTokens.get(h);
        Authorization a = id == null ? null : authorizations.get(id);
        if (a == null || a.endsAt <= clock.getAsLong() || !h.equals(a.refreshHash)) {
            throw new OAuthError("invalid_grant", "the refresh token is unknown or expired (or the replica restarted); "
                    + "authorize the app again");
        }
        if (!a.clientId.equals(clientId)) {
            throw new OAuthError("invalid_grant", "the refresh token was issued to another client");
        }
        return issue(a, false);
    }

    private synchronized Issued issue(Authorization a, boolean first) {
        long now = clock.getAsLong();
        long lifetime = Math.min(ACCESS_MILLIS, a.endsAt - now);
        if (lifetime <= 0) {
            revoke(a.id);
            throw new OAuthError("invalid_grant", "the authorization has ended; authorize the app again");
        }
        String access;
        try {
            access = sessions.derive(a.anchorToken, lifetime);
        } catch (RuntimeException e) {
            revoke(a.id);
            throw new OAuthError("invalid_grant", "the person's session for this app has ended; authorize the app again");
        }
        endAccess(a);
        a.accessToken = access;
        room(grants, g -> g.expiresAt() <= now);
        grants.put(hash(access), new Grant(a.id, a.clientId, a.userId, a.scopes, a.patient, now + lifetime));
        String refresh = null;
        if (a.scopes.offline()) {
            refresh = random();
            if (a.refreshHash != null) {
                refreshTokens.remove(a.refreshHash);
                room(rotatedRefreshTokens, id -> !authorizations.containsKey(id));
                rotatedRefreshTokens.put(a.refreshHash, a.id);
            }
            room(refreshTokens, id -> !authorizations.containsKey(id));
            a.refreshHash = hash(refresh);
            refreshTokens.put(a.refreshHash, a.id);
        } else if (first) {
            sessions.close(a.anchorToken); // the access token holds the keys now; nothing else needs them
        }
        String idToken = null;
        if (a.scopes.openid()) {
            // The nonce binds the first ID token to the app's sign-in; a refreshed one leaves it out (OIDC Core 12.2).
            idToken = idTokens.sign(new IdTokens.Claims(a.issuer, a.userId, a.clientId, first ? a.nonce : null,
                    a.scopes.fhirUser() ? a.fhirUser : null, now, now + lifetime));
        }
        return new Issued(access, lifetime / 1000, a.scopes.spelled(), a.patient, refresh, idToken);
    }

    /**
     * A backend service's access token: a session derived from a live session of the account it acts as, for
     * {@value #BACKEND_ACCESS_MILLIS} ms.
     */
    public Issued backend(SmartClient client, Scopes scopes) {
        String access;
        try {
            access = sessions.deriveFor(client.account(), BACKEND_ACCESS_MILLIS);
        } catch (RuntimeException e) {
            throw new OAuthError("invalid_grant", "the account " + client.account() + " this service acts as is not signed in "
                    + "at this replica (its keys are sealed by its password); sign it in first");
        }
        long now = clock.getAsLong();
        room(grants, g -> g.expiresAt() <= now);
        grants.put(hash(access), new Grant(null, client.clientId(), client.account(), scopes, null, now + BACKEND_ACCESS_MILLIS));
        return new Issued(access, BACKEND_ACCESS_MILLIS / 1000, scopes.spelled(), null, null, null);
    }

    /** Records a client assertion's {@code jti} until it expires; false if it was seen before (a replay). */
    public boolean firstUse(String clientId, String jti, long expiresAt) {
        long now = clock.getAsLong();
        room(seenAssertions, exp -> exp <= now);
        return seenAssertions.putIfAbsent(clientId + " " + jti, expiresAt) == null;
    }

    /** The grant of an access token, if it is one of an app's and still valid. */
    public Optional<Grant> grantOf(String accessToken) {
        if (accessToken == null) {
            return Optional.empty();
        }
        Grant g = grants.get(hash(accessToken));
        return g == null || g.expiresAt() <= clock.getAsLong() ? Optional.empty() : Optional.of(g);
    }

    /** Revokes everything of one app (its registration removed). */
    public void revokeClient(String clientId) {
        authorizations.values().stream().filter(a -> a.clientId.equals(clientId)).map(a -> a.id).toList().forEach(this::revoke);
        grants.entrySet().removeIf(e -> e.getValue().clientId().equals(clientId));
    }

    private void revoke(String authorizationId) {
        Authorization a = authorizations.remove(authorizationId);
        if (a == null) {
            return;
        }
        endAccess(a);
        sessions.close(a.anchorToken);
        if (a.refreshHash != null) {
            refreshTokens.remove(a.refreshHash);
        }
    }

    private void endAccess(Authorization a) {
        String old = a.accessToken;
        if (old != null) {
            grants.remove(hash(old));
            sessions.close(old);
        }
    }

    /** Removes what has expired when a table is full; if it is still full, refuses. */
    static <V> void room(Map<String, V> table, java.util.function.Predicate<V> expired) {
        if (table.size() < MAX_ENTRIES) {
            return;
        }
        for (Iterator<V> i = table.values().iterator(); i.hasNext(); ) {
            if (expired.test(i.next())) {
                i.remove();
            }
        }
        if (table.size() >= MAX_ENTRIES) {
            throw new OAuthError("temporarily_unavailable", "too many authorizations are in progress at this replica");
        }
    }

    /** BASE64URL(SHA-256(ASCII(verifier))), the S256 code challenge of a verifier (RFC 7636). */
    public static String s256(String verifier) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(verifier));
    }

    static String hash(String secret) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(secret));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String random() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Providers.randomBytes(32));
    }
}

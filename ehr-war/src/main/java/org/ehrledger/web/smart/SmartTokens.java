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
 * the person's consent, authorization codes, and the grants behind access and refresh tokens. Codes and refresh
 * tokens are kept as SHA-256 hashes only; an access token is kept beside its grant only so that revoking the grant
 * can end its session. An access token is a session of {@link CallerSessions} derived from the person's (so it
 * holds their unlocked keys and works at this replica only); the grant here says what it may do, and a session
 * whose grant is gone must never outlive it (it would act as the person, unscoped). With {@code openid} granted,
 * each token answer carries an ID token ({@link IdTokens}). Clients revoke their tokens (RFC 7009) and resource
 * servers introspect them (RFC 7662) here too. A restart of the replica forgets all of it: apps then send the
 * person through the authorization again, since their keys open only with their password.
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
     * (null if none); and what its token answer said of it, for introspection.
     *
     * @param authorization the person's authorization it belongs to, or null for a backend service's token
     * @param issuedAt      epoch milliseconds
     * @param issuer        the FHIR base the app named as {@code aud} (its ID tokens' {@code iss}), or null for a
     *                      backend service's token
     * @param fhirUser      the {@code fhirUser} of its ID token (granted and known), or null
     */
    public record Grant(String authorization, String clientId, String userId, Scopes scopes, String patient, long issuedAt,
                        long expiresAt, String issuer, String fhirUser) {
    }

    /** The answer of the token endpoint; {@code idToken} only with {@code openid} granted, else null. */
    public record Issued(String accessToken, long expiresInSeconds, String scope, String patient, String refreshToken,
                         String idToken) {
    }

    /** What a revocation ended. */
    public enum Revoked {
        /** Nothing: the token was unknown here, expired or revoked already. */
        NOTHING,
        /** The access token alone (its authorization's refresh token still works). */
        ACCESS_TOKEN,
        /** The whole authorization: its access and refresh tokens. */
        AUTHORIZATION
    }

    /** An OAuth error of the token, revocation or introspection endpoint ({@code invalid_grant}, {@code invalid_client}, ...). */
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

    /** A grant and its access token, kept to end the token's session when the grant is revoked. */
    private record Access(Grant grant, String token) {
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
    private final Map<String, Access> grants = new ConcurrentHashMap<>();
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
            endAuthorization(used.authorization());
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
            endAuthorization(c.authorization());
            throw new OAuthError("invalid_grant", "the code was issued to another client or redirect_uri");
        }
        if (verifier == null || !VERIFIER.matcher(verifier).matches() || !s256(verifier).equals(c.codeChallenge())) {
            endAuthorization(c.authorization());
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
            endAuthorization(stolen);
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
        if (authorizations.get(a.id) != a) {
            // revoked (by the app, a replayed code or refresh token, the app's removal) since it was looked up
            throw new OAuthError("invalid_grant", "the authorization was revoked; authorize the app again");
        }
        long now = clock.getAsLong();
        long lifetime = Math.min(ACCESS_MILLIS, a.endsAt - now);
        if (lifetime <= 0) {
            endAuthorization(a.id);
            throw new OAuthError("invalid_grant", "the authorization has ended; authorize the app again");
        }
        String access;
        try {
            access = sessions.derive(a.anchorToken, lifetime);
        } catch (RuntimeException e) {
            endAuthorization(a.id);
            throw new OAuthError("invalid_grant", "the person's session for this app has ended; authorize the app again");
        }
        endAccess(a);
        a.accessToken = access;
        room(grants, g -> g.grant().expiresAt() <= now);
        grants.put(hash(access), new Access(new Grant(a.id, a.clientId, a.userId, a.scopes, a.patient, now, now + lifetime,
                a.issuer, a.scopes.openid() && a.scopes.fhirUser() ? a.fhirUser : null), access));
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
        room(grants, g -> g.grant().expiresAt() <= now);
        grants.put(hash(access), new Access(new Grant(null, client.clientId(), client.account(), scopes, null, now,
                now + BACKEND_ACCESS_MILLIS, null, null), access));
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
        Access g = grants.get(hash(accessToken));
        return g == null || g.grant().expiresAt() <= clock.getAsLong() ? Optional.empty() : Optional.of(g.grant());
    }

    /**
     * The grant of an access token that is active (RFC 7662): issued here, neither expired nor revoked, and its session
     * still live (the person's suspension or password change ends it). A person's own session is no app's token.
     */
    public Optional<Grant> active(String accessToken) {
        return grantOf(accessToken).filter(g -> sessions.find(accessToken).isPresent());
    }

    /**
     * Revokes a token at the request of the client it was issued to (RFC 7009): a refresh token, or one already
     * rotated away, ends its whole authorization (its access token too); an access token ends, and so does its
     * authorization when no refresh token outlives it. A token unknown here, expired or already revoked changes
     * nothing, and nothing is remembered of it.
     *
     * @return what ended, for the audit log
     * @throws OAuthError {@code invalid_grant} if the token was issued to another client (nothing changes)
     */
    public synchronized Revoked revoke(String token, String clientId) {
        if (token == null || token.isEmpty()) {
            throw new OAuthError("invalid_request", "name the token to revoke (token)");
        }
        String h = hash(token);
        String id = refreshTokens.get(h);
        if (id == null) {
            id = rotatedRefreshTokens.get(h);
        }
        Authorization a = id == null ? null : authorizations.get(id);
        if (a != null) {
            issuedTo(a.clientId, clientId);
            endAuthorization(a.id);
            return Revoked.AUTHORIZATION;
        }
        Access access = grants.get(h);
        if (access == null || access.grant().expiresAt() <= clock.getAsLong()) {
            return Revoked.NOTHING;
        }
        issuedTo(access.grant().clientId(), clientId);
        Authorization of = access.grant().authorization() == null ? null : authorizations.get(access.grant().authorization());
        if (of != null && of.refreshHash == null) {
            endAuthorization(of.id);
            return Revoked.AUTHORIZATION;
        }
        grants.remove(h);
        sessions.close(access.token());
        if (of != null && access.token().equals(of.accessToken)) {
            of.accessToken = null;
        }
        return Revoked.ACCESS_TOKEN;
    }

    private static void issuedTo(String owner, String clientId) {
        if (!owner.equals(clientId)) {
            throw new OAuthError("invalid_grant", "the token was issued to another client; a client revokes only its own tokens");
        }
    }

    /** Revokes everything of one app (its registration removed, or its account's approval withdrawn). */
    public synchronized void revokeClient(String clientId) {
        authorizations.values().stream().filter(a -> a.clientId.equals(clientId)).map(a -> a.id).toList()
                .forEach(this::endAuthorization);
        for (Iterator<Access> i = grants.values().iterator(); i.hasNext(); ) {
            Access g = i.next();
            if (g.grant().clientId().equals(clientId)) {
                i.remove();
                sessions.close(g.token()); // a backend service's token would otherwise act as its account, unscoped
            }
        }
    }

    private void endAuthorization(String authorizationId) {
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

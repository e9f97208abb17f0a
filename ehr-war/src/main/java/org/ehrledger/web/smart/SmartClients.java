package org.ehrledger.web.smart;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.Curve;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.crypto.Providers;

/**
 * The apps registered at this replica, kept in {@code <data dir>/smart/clients.json} (written whole, atomically).
 * A registration is this replica's, not the ledger's: an app's tokens only ever work at the replica whose memory
 * holds the person's unlocked keys, so an app is registered with the organisation whose authorization server it
 * talks to, as with any OAuth authorization server; on the ledger it would be copied to every organisation's
 * replica, where it could grant nothing, and each registration would be a consensus write. At most
 * {@value #MAX_CLIENTS} apps.
 */
@ApplicationScoped
public class SmartClients {

    private static final Logger LOG = Logger.getLogger(SmartClients.class.getName());
    private static final JsonProvider JSON = JsonProvider.provider();

    /** The most apps registered at one replica. */
    public static final int MAX_CLIENTS = 200;
    /** The most redirect URIs of one app. */
    public static final int MAX_REDIRECTS = 10;
    /** The most public keys of one app. */
    public static final int MAX_KEYS = 10;
    /** The largest JWK Set accepted. */
    static final int MAX_JWKS_CHARS = 32 * 1024;

    @Inject
    ReplicaConfig config;

    private final Map<String, SmartClient> clients = new LinkedHashMap<>();
    private Path file;

    @PostConstruct
    void load() {
        load(config.dataDir().resolve("smart").resolve("clients.json"));
    }

    /** Reads the registrations kept in a file (none if it does not exist yet). */
    synchronized void load(Path from) {
        file = from;
        clients.clear();
        if (!Files.exists(file)) {
            return;
        }
        try (var reader = JSON.createReader(Files.newBufferedReader(file, StandardCharsets.UTF_8))) {
            for (JsonObject o : reader.readArray().getValuesAs(JsonObject.class)) {
                SmartClient c = fromJson(o);
                clients.put(c.clientId(), c);
            }
        } catch (IOException | RuntimeException e) {
            LOG.severe("cannot read the registered SMART apps from " + file + ": " + e);
        }
    }

    /** A registered app, if there is one of this id. */
    public synchronized Optional<SmartClient> find(String clientId) {
        return clientId == null ? Optional.empty() : Optional.ofNullable(clients.get(clientId));
    }

    /** Every registered app, oldest first. */
    public synchronized List<SmartClient> all() {
        return clients.values().stream().sorted(Comparator.comparingLong(SmartClient::registeredAt)).toList();
    }

    /**
     * Registers an app after checking what it sends: a name, exact redirect URIs (https, or http on this machine's
     * loopback address for development) for an app a person launches; public keys (RSA of 2048 bits or more, EC
     * P-256/P-384, no private parts) for a confidential app or backend service; the scopes it may be granted; and
     * for an app launched from the portal (EHR launch), its launch URL (https or loopback http, as a redirect URI).
     */
    public synchronized SmartClient register(String name, List<String> redirectUris, String jwks, String account, String scope,
                                             String launchUri, String admin) {
        if (name == null || name.isBlank() || name.length() > 100) {
            throw invalid("name an app in 1 to 100 characters");
        }
        List<String> redirects = redirectUris == null ? List.of() : List.copyOf(redirectUris);
        if (account == null && redirects.isEmpty()) {
            throw invalid("an app a person launches needs redirectUris; a backend service needs an account (and jwks)");
        }
        if (account != null && !redirects.isEmpty()) {
            throw invalid("a backend service has no redirectUris (it uses the client-credentials grant)");
        }
        if (redirects.size() > MAX_REDIRECTS) {
            throw invalid("at most " + MAX_REDIRECTS + " redirectUris");
        }
        redirects.forEach(SmartClients::checkRedirect);
        if (launchUri != null) {
            if (account != null) {
                throw invalid("a backend service is not launched (no launchUri)");
            }
            checkRedirect(launchUri);
        }
        if (account != null && jwks == null) {
            throw invalid("a backend service authenticates with a signed JWT: send its public keys as jwks");
        }
        if (jwks != null) {
            publicKeys(jwks);
        }
        Scopes allowed;
        try {
            allowed = Scopes.parse(scope);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        Scopes kept = account != null ? allowed.only(java.util.Set.of(Scopes.Context.SYSTEM)).withoutPersonScopes()
                : allowed.only(java.util.Set.of(Scopes.Context.PATIENT, Scopes.Context.USER));
        if (kept.rules().isEmpty()) {
            throw invalid(account != null ? "a backend service's scope names system/ scopes (e.g. system/*.read)"
                    : "an app's scope names patient/ or user/ scopes (e.g. launch/patient patient/*.read)");
        }
        if (clients.size() >= MAX_CLIENTS) {
            throw new EhrException(ErrorCode.BUSY, "at most " + MAX_CLIENTS + " apps are registered at a replica; remove one first");
        }
        String id = "app-" + Base64.getUrlEncoder().withoutPadding().encodeToString(Providers.randomBytes(12));
        SmartClient c = new SmartClient(id, name.strip(), redirects, launchUri, jwks, account, kept.spelled(), admin,
                System.currentTimeMillis(), false);
        clients.put(id, c);
        save();
        return c;
    }

    /**
     * The account a backend service acts as gives ({@code given}) or withdraws its approval; only that account may,
     * signed in as itself ({@code caller} comes from its verified session, never from the request).
     */
    public synchronized SmartClient approve(String clientId, String caller, boolean given) {
        SmartClient c = clients.get(clientId);
        if (c == null || !c.backend()) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no backend service " + clientId + " is registered here");
        }
        if (!c.account().equals(caller)) {
            throw new EhrException(ErrorCode.FORBIDDEN, "only the account a backend service acts as (" + c.account()
                    + ") approves it, signed in as itself");
        }
        SmartClient changed = c.approved(given);
        clients.put(clientId, changed);
        save();
        return changed;
    }

    /** Removes an app's registration. */
    public synchronized boolean remove(String clientId) {
        if (clients.remove(clientId) == null) {
            return false;
        }
        save();
        return true;
    }

    /** The public keys of a JWK Set, checked. */
    static JWKSet publicKeys(String jwks) {
        if (jwks.length() > MAX_JWKS_CHARS) {
            throw invalid("jwks is larger than " + MAX_JWKS_CHARS + " characters");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(jwks);
        } catch (ParseException e) {
            throw invalid("jwks is not a JWK Set: " + e.getMessage());
        }
        if (set.getKeys().isEmpty() || set.getKeys().size() > MAX_KEYS) {
            throw invalid("jwks holds 1 to " + MAX_KEYS + " keys");
        }
        for (JWK k : set.getKeys()) {
            if (k.isPrivate()) {
                throw invalid("jwks must hold public keys only (key " + k.getKeyID() + " has a private part)");
            }
            if (k.getKeyID() == null) {
                throw invalid("every key in jwks needs a kid");
            }
            boolean ok = k instanceof RSAKey r && r.size() >= 2048
                    || k instanceof ECKey e && (Curve.P_384.equals(e.getCurve()) || Curve.P_256.equals(e.getCurve()));
            if (!ok) {
                throw invalid("keys are RSA (2048 bits or more) or EC P-384/P-256 (key " + k.getKeyID() + ")");
            }
        }
        return set;
    }

    private static void checkRedirect(String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException | NullPointerException e) {
            throw invalid("a redirect URI is an absolute URI: " + uri);
        }
        boolean loopback = "http".equals(u.getScheme()) && ("127.0.0.1".equals(u.getHost()) || "localhost".equals(u.getHost())
                || "[::1]".equals(u.getHost()));
        if (!u.isAbsolute() || u.getFragment() != null || u.getHost() == null || uri.length() > 512
                || !("https".equals(u.getScheme()) || loopback)) {
            throw invalid("a redirect URI is https (or http on a loopback address), absolute, without a fragment: " + uri);
        }
    }

    private static EhrException invalid(String message) {
        return new EhrException(ErrorCode.INVALID_INPUT, message);
    }

    private void save() {
        JsonArrayBuilder all = JSON.createArrayBuilder();
        clients.values().forEach(c -> all.add(toJson(c)));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("clients.json.tmp");
            Files.writeString(tmp, all.build().toString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** An app as the JSON API shows it (and as it is kept). */
    public static JsonObject toJson(SmartClient c) {
        JsonArrayBuilder redirects = JSON.createArrayBuilder();
        c.redirectUris().forEach(redirects::add);
        var o = JSON.createObjectBuilder().add("clientId", c.clientId()).add("name", c.name()).add("kind", c.kind())
                .add("redirectUris", redirects).add("scope", c.scope()).add("registeredBy", c.registeredBy())
                .add("registeredAt", c.registeredAt());
        if (c.launchUri() != null) {
            o.add("launchUri", c.launchUri());
        }
        if (c.jwks() != null) {
            o.add("jwks", JSON.createReader(new StringReader(c.jwks())).readObject());
        }
        if (c.account() != null) {
            o.add("account", c.account()).add("approved", c.approved());
        }
        return o.build();
    }

    private static SmartClient fromJson(JsonObject o) {
        List<String> redirects = new ArrayList<>();
        o.getJsonArray("redirectUris").getValuesAs(jakarta.json.JsonString.class).forEach(s -> redirects.add(s.getString()));
        JsonValue jwks = o.get("jwks");
        return new SmartClient(o.getString("clientId"), o.getString("name"), List.copyOf(redirects), o.getString("launchUri", null),
                jwks == null ? null : jwks.toString(), o.getString("account", null), o.getString("scope"),
                o.getString("registeredBy"), o.getJsonNumber("registeredAt").longValue(), o.getBoolean("approved", false));
    }
}

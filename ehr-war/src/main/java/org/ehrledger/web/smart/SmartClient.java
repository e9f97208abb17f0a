package org.ehrledger.web.smart;

import java.util.List;

/**
 * An app registered by an administrator of this replica's organisation.
 *
 * @param clientId     the OAuth client id (chosen by this server)
 * @param name         what the consent page shows
 * @param redirectUris where codes may be sent (exact match); empty for a backend service
 * @param launchUri    where the portal sends a practitioner's browser to launch the app from a patient's chart
 *                     (SMART EHR launch, with {@code iss} and {@code launch}), or null if it is not launched so
 * @param jwks         the app's public keys (a JWK Set, JSON) for {@code private_key_jwt}, or null for a public client
 * @param account      the organisation's account a backend service acts as, or null for an app a person launches
 * @param scope        the most this app may be granted (space-separated SMART scopes)
 * @param registeredBy the administrator who registered it
 * @param registeredAt when (epoch milliseconds)
 * @param approved     for a backend service, whether the account it acts as approved it, signed in as itself (an
 *                     administrator registers a service but can never make it act as someone without their word)
 */
public record SmartClient(String clientId, String name, List<String> redirectUris, String launchUri, String jwks, String account,
                          String scope, String registeredBy, long registeredAt, boolean approved) {

    /** This registration with the account's approval given or withdrawn. */
    public SmartClient approved(boolean given) {
        return new SmartClient(clientId, name, redirectUris, launchUri, jwks, account, scope, registeredBy, registeredAt, given);
    }

    /** Whether a practitioner may launch this app from a patient's chart (a launch URL and scope {@code launch}). */
    public boolean launchable() {
        return !backend() && launchUri != null && Scopes.parse(scope).launch();
    }

    /** Whether this is a backend service (client-credentials grant, acting as {@link #account}). */
    public boolean backend() {
        return account != null;
    }

    /** Whether this client authenticates at the token endpoint with a signed JWT. */
    public boolean confidential() {
        return jwks != null;
    }

    /** The OAuth kind of client, as the JSON API shows it. */
    public String kind() {
        return backend() ? "backend-service" : confidential() ? "confidential-asymmetric" : "public";
    }
}

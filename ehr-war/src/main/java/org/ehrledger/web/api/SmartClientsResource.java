package org.ehrledger.web.api;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.AdminService;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.web.smart.AuthorizeServlet;
import org.ehrledger.web.smart.Launches;
import org.ehrledger.web.smart.SmartClient;
import org.ehrledger.web.smart.SmartClients;
import org.ehrledger.web.smart.SmartTokens;

/**
 * SMART on FHIR app registrations of this replica (administrators only): apps a person launches (redirect URIs,
 * public or with public keys) and backend services (public keys and the organisation's account they act as). A
 * backend service gets no token until the account it acts as approves it, signed in as itself: an administrator
 * registers services but never makes one act as somebody else.
 */
@ApplicationScoped
@Path("/smart-clients")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class SmartClientsResource {

    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @EJB
    AdminService admin;

    @Inject
    SmartClients clients;

    @Inject
    SmartTokens tokens;

    @Inject
    Launches launches;

    /**
     * An app to register: its name, redirect URIs (an app a person launches), its public keys as a JWK Set
     * (a confidential app or backend service), the account a backend service acts as, and the scopes it may be granted.
     */
    public record Registration(String name, List<String> redirectUris, JsonObject jwks, String account, String scope,
                               String launchUri) {

        /** The registration a JSON body names (the JWK Set kept as it was sent). */
        static Registration of(JsonObject o) {
            try {
                List<String> redirects = !o.containsKey("redirectUris") || o.isNull("redirectUris") ? List.of()
                        : o.getJsonArray("redirectUris").getValuesAs(jakarta.json.JsonString.class).stream()
                                .map(jakarta.json.JsonString::getString).toList();
                return new Registration(o.getString("name", null), redirects,
                        o.containsKey("jwks") && !o.isNull("jwks") ? o.getJsonObject("jwks") : null, o.getString("account", null),
                        o.getString("scope", null), o.getString("launchUri", null));
            } catch (ClassCastException e) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "name, account, scope and launchUri are strings, redirectUris "
                        + "an array of strings, jwks a JWK Set object");
            }
        }
    }

    /** The apps registered at this replica. */
    @GET
    public JsonArray list(@Context SecurityContext security) {
        requireAdmin(security);
        JsonArrayBuilder all = JSON.createArrayBuilder();
        clients.all().forEach(c -> all.add(SmartClients.toJson(c)));
        return all.build();
    }

    /** Registers an app: 201 with its {@code clientId}. */
    @POST
    public Response register(@Context SecurityContext security, JsonObject body) {
        requireAdmin(security);
        Params.required(body, "{\"name\": ..., \"redirectUris\": [...], \"scope\": \"launch/patient patient/*.read\"} or "
                + "{\"name\": ..., \"jwks\": {\"keys\": [...]}, \"account\": \"<user id>\", \"scope\": \"system/*.read\"}");
        Registration r = Registration.of(body);
        if (r.account() != null) {
            boolean ofOrganisation = admin.people().stream().anyMatch(p -> p.userId().equals(r.account()) && !p.suspended()
                    && !p.revoked() && !p.role().equals(Role.PATIENT.name()) && !p.role().equals(Role.ADMIN.name()));
            if (!ofOrganisation) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "account is a practitioner or billing account of your "
                        + "organisation, not suspended: " + r.account());
            }
        }
        SmartClient c = clients.register(r.name(), r.redirectUris(), r.jwks() == null ? null : r.jwks().toString(), r.account(),
                r.scope(), r.launchUri(), security.getUserPrincipal().getName());
        return Response.status(201).entity(SmartClients.toJson(c)).build();
    }

    /** Removes an app's registration and revokes every token it holds: 204. */
    @DELETE
    @Path("{clientId}")
    public Response remove(@Context SecurityContext security, @PathParam("clientId") String clientId) {
        requireAdmin(security);
        if (!clients.remove(clientId)) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no app " + clientId + " is registered here");
        }
        tokens.revokeClient(clientId);
        return Response.noContent().build();
    }

    /**
     * The account a backend service acts as approves it (the service can get tokens from then on): only that account,
     * signed in as itself. 200 with the registration.
     */
    @POST
    @Path("{clientId}/approval")
    public JsonObject approve(@Context SecurityContext security, @PathParam("clientId") String clientId) {
        return SmartClients.toJson(clients.approve(clientId, caller(security), true));
    }

    /** The account withdraws its approval: the service gets no more tokens and every token it holds is revoked. 204. */
    @DELETE
    @Path("{clientId}/approval")
    public Response withdraw(@Context SecurityContext security, @PathParam("clientId") String clientId) {
        clients.approve(clientId, caller(security), false);
        tokens.revokeClient(clientId);
        return Response.noContent().build();
    }

    /**
     * A practitioner launches a registered app with a patient in context (SMART EHR launch), as the portal's chart
     * does: 201 with the single-use {@code launch} (5 minutes, theirs only) and the {@code launchUrl} to open in
     * their browser, which carries it with {@code iss}. Body: {@code {"patient": "<patient id>"}}.
     */
    @POST
    @Path("{clientId}/launches")
    public Response launch(@Context SecurityContext security, @Context HttpServletRequest request,
                           @PathParam("clientId") String clientId, JsonObject body) {
        String practitioner = caller(security);
        if (!security.isUserInRole(Role.PRACTITIONER.name())) {
            throw new EhrException(ErrorCode.FORBIDDEN, "only practitioners launch apps with a patient in context");
        }
        Params.required(body, "{\"patient\": \"<patient id>\"}");
        SmartClient app = clients.find(clientId).orElseThrow(() -> new EhrException(ErrorCode.NOT_FOUND,
                "no app " + clientId + " is registered here"));
        String id;
        try {
            id = launches.create(app, practitioner, body.getString("patient", null));
        } catch (SmartTokens.OAuthError e) {
            throw new EhrException(ErrorCode.BUSY, e.getMessage());
        } catch (ClassCastException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "patient is a string");
        }
        return Response.status(201).entity(JSON.createObjectBuilder().add("launch", id)
                .add("launchUrl", Launches.launchUrl(app, AuthorizeServlet.fhirBase(request), id))
                .add("expiresInSeconds", Launches.LAUNCH_MILLIS / 1000).build()).build();
    }

    private static String caller(SecurityContext security) {
        if (security.getUserPrincipal() == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions)");
        }
        return security.getUserPrincipal().getName();
    }

    private static void requireAdmin(SecurityContext security) {
        if (security.getUserPrincipal() == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions)");
        }
        if (!security.isUserInRole(Role.ADMIN.name())) {
            throw new EhrException(ErrorCode.FORBIDDEN, "only administrators register apps");
        }
    }
}

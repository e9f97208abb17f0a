package org.ehrledger.web.api;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.service.AdminService;
import org.ehrledger.ejb.application.service.ReceiptIssuer;

/** Organisations, staff and users: admission, registration, suspension, revocation. */
@ApplicationScoped
@Path("/")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class PeopleResource {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @EJB
    AdminService admin;

    @Inject
    ReceiptIssuer receipts;

    /** The member organisations (administrators). */
    @GET
    @Path("organisations")
    public List<AdminService.Member> organisations() {
        return admin.organisations();
    }

    /** The network emergency state with pending votes (administrators). */
    @GET
    @Path("emergency")
    public AdminService.Emergency emergency() {
        return admin.emergency();
    }

    /** A vote on the emergency state. */
    public record EmergencyVote(String reason, Long minutes) {
    }

    /** Votes to declare the emergency state (administrators; in force once the quorum of organisations voted). */
    @POST
    @Path("emergency/declarations")
    public Response declare(EmergencyVote v) {
        Params.required(v, "{\"reason\": \"at least 10 characters\", \"minutes\": 1..4320}");
        return Response.status(201).entity(admin.declareEmergency(v.reason(), v.minutes() == null ? 0 : v.minutes())).build();
    }

    /** Votes to end the emergency state (administrators). */
    @POST
    @Path("emergency/endings")
    public Response end(EmergencyVote v) {
        Params.required(v, "{\"reason\": \"at least 10 characters\"}");
        return Response.status(201).entity(admin.endEmergency(v.reason())).build();
    }

    /** An admission request printed by a joining organisation's replica. */
    public record Admission(String admissionRequest) {
    }

    /** Votes to admit an organisation (administrators). */
    @POST
    @Path("organisations/admissions")
    public Response admit(Admission a) {
        return Response.status(201).entity(admin.admitOrganisation(Params.required(a, "{\"admissionRequest\": ...}")
                .admissionRequest())).build();
    }

    /** A staff member to register. */
    public record NewStaff(String userId, String name, String role) {
    }

    /** The people of the caller's organisation with an account at this replica (administrators). */
    @GET
    @Path("staff")
    public java.util.List<AdminService.StaffMember> staff() {
        return admin.people();
    }

    /** Suspends an account at this replica (administrators): sessions end, sign-in refused. */
    @PUT
    @Path("staff/{userId}/suspension")
    public Response suspend(@PathParam("userId") String userId) {
        admin.suspend(userId, true);
        return Response.noContent().build();
    }

    /** Reinstates a suspended account (administrators). */
    @DELETE
    @Path("staff/{userId}/suspension")
    public Response reinstate(@PathParam("userId") String userId) {
        admin.suspend(userId, false);
        return Response.noContent().build();
    }

    /** Revokes a user's certificate network-wide (administrators of their organisation). */
    @POST
    @Path("users/{userId}/revocation")
    public Response revoke(@PathParam("userId") String userId) {
        return Response.status(201).entity(JSON.createObjectBuilder().add("userId", userId)
                .add("committed", Receipts.of(admin.revokeCertificate(userId), receipts)).build()).build();
    }

    /**
     * Registers a staff member of the caller's organisation (administrators); the answer has their one-time
     * enrolment code to hand over (it does not sign in: they enrol with it and choose their password).
     */
    @AnswerCarriesSecret
    @POST
    @Path("staff")
    public Response registerStaff(NewStaff s) {
        Params.required(s, "{\"userId\": ..., \"name\": ..., \"role\": \"PRACTITIONER\"}");
        AdminService.StaffRegistered r = admin.registerStaff(s.userId(), s.name(), s.role());
        return Response.status(201).entity(JSON.createObjectBuilder().add("userId", r.userId()).add("role", r.role())
                .add("organisation", r.organisation()).add("enrolmentCode", r.enrolment().code())
                .add("enrolmentExpiresAt", r.enrolment().expiresAtIso())
                .add("committed", Receipts.of(r.committed(), receipts)).build()).build();
    }

}

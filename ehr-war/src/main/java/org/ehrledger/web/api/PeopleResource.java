package org.ehrledger.web.api;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.RecordService;

/** Organisations, staff, patients, their consents and records. */
@Path("/")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class PeopleResource {

    @Inject
    AdminService admin;

    @Inject
    PatientService patients;

    @Inject
    RecordService records;

    @Context
    SecurityContext security;

    private static <T> T required(T body, String shape) {
        if (body == null) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "send " + shape);
        }
        return body;
    }

    /** An admission request printed by a joining organisation's replica. */
    public record Admission(String admissionRequest) {
    }

    /** Votes to admit an organisation (administrators). */
    @POST
    @Path("organisations/admissions")
    public Response admit(Admission a) {
        return Response.status(201).entity(admin.admitOrganisation(required(a, "{\"admissionRequest\": ...}")
                .admissionRequest())).build();
    }

    /** A staff member to register. */
    public record NewStaff(String userId, String name, String role) {
    }

    /** Registers a staff member of the caller's organisation (administrators); the answer has the initial password. */
    @POST
    @Path("staff")
    public Response registerStaff(NewStaff s) {
        required(s, "{\"userId\": ..., \"name\": ..., \"role\": \"PRACTITIONER\"}");
        return Response.status(201).entity(admin.registerStaff(s.userId(), s.name(), s.role())).build();
    }

    /** Sign-up details. */
    public record NewPatient(String name, String birthDate, String contact, String nationalId, String password) {
    }

    /** Patient self-service sign-up (no authentication: this creates the credentials). */
    @POST
    @Path("patients")
    public Response signUp(NewPatient p) {
        required(p, "{\"name\", \"birthDate\", \"contact\", \"nationalId\" (optional), \"password\"}");
        return Response.status(201).entity(patients.signUp(
                new PatientService.Demographics(p.name(), p.birthDate(), p.contact(), p.nationalId()),
                p.password() == null ? null : p.password().toCharArray())).build();
    }

    /** A record to add. */
    public record NewRecord(String category, String title, String text) {
    }

    /** Adds a record to a patient's record (practitioners under consent; the patient themselves). */
    @POST
    @Path("patients/{patientId}/records")
    public Response addRecord(@PathParam("patientId") String patientId, NewRecord r) {
        required(r, "{\"category\": \"NOTE\", \"title\": ..., \"text\": ...}");
        return Response.status(201).entity(records.addRecord(patientId, r.category(), r.title(), r.text())).build();
    }

    /** A consent to grant. */
    public record NewConsent(String grantee, List<String> categories, Long expiresAt) {
    }

    /** Grants consent (the patient, for their own record only). */
    @POST
    @Path("patients/{patientId}/consents")
    public Response grant(@PathParam("patientId") String patientId, NewConsent c) {
        requireSelf(patientId);
        required(c, "{\"grantee\": ..., \"categories\": [...], \"expiresAt\": epochMillis (optional)}");
        return Response.status(201).entity(patients.grantConsent(c.grantee(), c.categories(),
                c.expiresAt() == null ? 0 : c.expiresAt())).build();
    }

    /** Revokes a consent (the patient). */
    @DELETE
    @Path("patients/{patientId}/consents/{consentId}")
    public Response revoke(@PathParam("patientId") String patientId, @PathParam("consentId") String consentId) {
        requireSelf(patientId);
        return Response.ok(patients.revokeConsent(consentId)).build();
    }

    /** A patient manages only their own consents; the service acts as the caller regardless. */
    private void requireSelf(String patientId) {
        if (security.getUserPrincipal() == null) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions)");
        }
        if (!security.getUserPrincipal().getName().equals(patientId)) {
            throw new EhrException(ErrorCode.FORBIDDEN, "you manage consents of your own record only");
        }
    }
}

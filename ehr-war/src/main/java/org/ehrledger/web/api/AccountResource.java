package org.ehrledger.web.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.CredentialService;
import org.ehrledger.ejb.application.service.Enrolment;
import org.ehrledger.ejb.application.service.EnrolmentService;
import org.ehrledger.ejb.application.service.ReceiptIssuer;
import org.ehrledger.web.security.LoginThrottle;

/**
 * One's own credentials: completing an enrolment with a one-time code, changing the password, exporting the
 * keys; and an administrator's re-issue of an enrolment code.
 */
@ApplicationScoped
@Path("/")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class AccountResource {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @EJB
    EnrolmentService enrolments;

    @EJB
    CredentialService credentials;

    @Inject
    ReceiptIssuer receipts;

    @Inject
    LoginThrottle throttle;

    @Context
    HttpServletRequest request;

    /** An enrolment to complete: the user id, the one-time code, the password the person chooses. */
    public record NewEnrolment(String userId, String code, String password) {
    }

    /**
     * Completes an enrolment (no authentication: the code is the credential, once): the person's keys are
     * replaced on chain by keys sealed under their password; they then sign in with it.
     */
    @AnswerCarriesSecret
    @POST
    @Path("enrolments")
    public Response enrol(NewEnrolment e) {
        Params.required(e, "{\"userId\": ..., \"code\": \"the enrolment code\", \"password\": \"at least 12 characters\"}");
        EnrolmentService.Completed c = throttle.attempt(request.getRemoteAddr(), ErrorCode.UNAUTHENTICATED,
                () -> enrolments.complete(e.userId(), e.code(), chars(e.password())));
        var json = JSON.createObjectBuilder().add("userId", c.userId()).add("role", c.role())
                .add("organisation", c.organisation());
        if (c.rotation() != null) {
            json.add("keyRotation", Receipts.of(c.rotation(), receipts));
        }
        return Response.status(201).entity(json.build()).build();
    }

    /** A password change. */
    public record PasswordChange(String currentPassword, String newPassword) {
    }

    /** Changes the caller's password; every other session of theirs ends (this one stays). */
    @POST
    @Path("account/password")
    public Response changePassword(@HeaderParam("Authorization") String authorization, PasswordChange p) {
        Params.required(p, "{\"currentPassword\": ..., \"newPassword\": \"at least 12 characters\"}");
        credentials.changePassword(chars(p.currentPassword()), chars(p.newPassword()), bearer(authorization));
        return Response.noContent().build();
    }

    /** A key export: the account password, and the password protecting the file. */
    public record KeyExport(String password, String filePassword) {
    }

    /** The caller's keys as a PKCS#12 file under {@code filePassword}; only with the account password. */
    @AnswerCarriesSecret
    @POST
    @Path("account/keys")
    @Produces({"application/x-pkcs12", MediaType.APPLICATION_JSON})
    public Response exportKeys(KeyExport k) {
        Params.required(k, "{\"password\": \"your account password\", \"filePassword\": \"at least 12 characters\"}");
        byte[] p12 = credentials.exportKeys(chars(k.password()), chars(k.filePassword()));
        return Response.ok(p12, "application/x-pkcs12").header("Cache-Control", "no-store")
                .header("Content-Disposition", "attachment; filename=\"keys.p12\"").build();
    }

    /** A new enrolment code for someone of the caller's organisation who has not enrolled (administrators). */
    @AnswerCarriesSecret
    @POST
    @Path("users/{userId}/enrolment-codes")
    public Response reissue(@PathParam("userId") String userId) {
        Enrolment.IssuedCode code = enrolments.reissue(userId);
        return Response.status(201).header("Cache-Control", "no-store").entity(JSON.createObjectBuilder()
                .add("userId", code.userId()).add("enrolmentCode", code.code())
                .add("enrolmentExpiresAt", code.expiresAtIso()).build()).build();
    }

    private static char[] chars(String s) {
        return s == null ? null : s.toCharArray();
    }

    private static String bearer(String authorization) {
        return authorization == null ? null : authorization.replaceFirst("(?i)^Bearer\\s+", "").strip();
    }
}

package org.ehrledger.web.api;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.AdminService;
import org.ehrledger.ejb.application.service.Committed;
import org.ehrledger.ejb.application.service.CredentialService;
import org.ehrledger.ejb.application.service.ReceiptIssuer;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.application.service.RecoveryService;
import org.ehrledger.web.security.LoginThrottle;

/**
 * The two-person rules and the life of a person's keys: confirming a registration, recovering a lost
 * identity (request, approval, completion), rotating one's keys and erasing a record.
 */
@ApplicationScoped
@Path("/")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class IdentityResource {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @Inject
    LoginThrottle throttle;

    @Context
    HttpServletRequest request;

    @EJB
    AdminService admin;

    @EJB
    RecoveryService recovery;

    @EJB
    CredentialService credentials;

    @EJB
    RecordService records;

    @Inject
    ReceiptIssuer receipts;

    /** Confirms, as a second administrator, a registration another administrator made (administrators). */
    @POST
    @Path("staff/{userId}/confirmation")
    public Response confirm(@PathParam("userId") String userId) {
        return created(JSON.createObjectBuilder().add("userId", userId).add("confirmed", true),
                admin.confirmRegistration(userId));
    }

    /** Why an administrator asks to recover an identity. */
    public record RecoveryRequest(String reason) {
    }

    /** Requests the recovery of a person's identity (administrators); the answer has this administrator's code half. */
    @AnswerCarriesSecret
    @POST
    @Path("users/{userId}/recovery")
    public Response requestRecovery(@PathParam("userId") String userId, RecoveryRequest r) {
        Params.required(r, "{\"reason\": \"at least 10 characters\"}");
        return half(recovery.request(userId, r.reason()));
    }

    /** Approves a pending recovery as a second administrator; the answer has this administrator's code half. */
    @AnswerCarriesSecret
    @POST
    @Path("users/{userId}/recovery/approval")
    public Response approveRecovery(@PathParam("userId") String userId) {
        return half(recovery.approve(userId));
    }

    /** What the person presents to complete their recovery. */
    public record Completion(String requestCode, String approvalCode, String password) {
    }

    /** Completes an approved recovery (anyone holding both code halves): new keys under the new password. */
    @AnswerCarriesSecret
    @POST
    @Path("users/{userId}/recovery/completion")
    public Response completeRecovery(@PathParam("userId") String userId, Completion c) {
        Params.required(c, "{\"requestCode\": ..., \"approvalCode\": ..., \"password\": \"the new password\"}");
        RecoveryService.Completed done = throttle.attempt(request.getRemoteAddr(), ErrorCode.FORBIDDEN,
                () -> recovery.complete(userId, c.requestCode(), c.approvalCode(),
                        c.password() == null ? null : c.password().toCharArray()));
        return created(JSON.createObjectBuilder().add("userId", done.userId())
                .add("recordsRewrapped", done.recordsRewrapped()), done.committed());
    }

    /** Pending recoveries of the caller's organisation (administrators). */
    @GET
    @Path("recoveries")
    public List<JsonObject> pendingRecoveries() {
        return recovery.pending().stream().map(IdentityResource::json).toList();
    }

    /** The caller's own recoveries, as they happened on chain. */
    @GET
    @Path("account/recoveries")
    public List<JsonObject> myRecoveries() {
        return recovery.mine().stream().map(IdentityResource::json).toList();
    }

    /** The account password, re-entered. */
    public record Password(String password) {
    }

    /** Rotates the caller's keys (their sessions end; sign in again with the same password). */
    @POST
    @Path("account/keys/rotation")
    public Response rotate(Password p) {
        Params.required(p, "{\"password\": \"your current password\"}");
        CredentialService.Rotated r = credentials.rotateKeys(p.password() == null ? null : p.password().toCharArray());
        return created(JSON.createObjectBuilder().add("userId", r.userId()).add("recordsRewrapped", r.recordsRewrapped()),
                r.committed());
    }

    /** The legal basis of an erasure. */
    public record Erasure(String legalBasis) {
    }

    /** Erases a record by crypto-shredding (the patient, or an administrator of their organisation). */
    @POST
    @Path("records/{recordId}/erasure")
    public Response erase(@PathParam("recordId") String recordId, Erasure e) {
        Params.required(e, "{\"legalBasis\": \"e.g. GDPR Art. 17 request 2026-001\"}");
        return created(JSON.createObjectBuilder().add("recordId", recordId).add("erased", true),
                records.erase(recordId, e.legalBasis()));
    }

    private Response half(RecoveryService.CodeHalf h) {
        return created(JSON.createObjectBuilder().add("userId", h.userId()).add("code", h.code())
                .add("validUntil", Instant.ofEpochMilli(h.validUntil()).toString()), h.committed());
    }

    private Response created(jakarta.json.JsonObjectBuilder json, Committed c) {
        return Response.status(201).entity(json.add("committed", Receipts.of(c, receipts)).build()).build();
    }

    private static JsonObject json(RecoveryService.RecoveryView r) {
        var o = JSON.createObjectBuilder().add("userId", r.userId()).add("requestedBy", r.requestedBy())
                .add("requestedAt", Instant.ofEpochMilli(r.requestedAt()).toString()).add("reason", r.reason())
                .add("approvedBy", r.approvedBy());
        if (r.approvedAt() > 0) {
            o.add("approvedAt", Instant.ofEpochMilli(r.approvedAt()).toString());
        }
        if (r.completedAt() > 0) {
            o.add("completedAt", Instant.ofEpochMilli(r.completedAt()).toString());
        }
        return o.add("status", r.completedAt() > 0 ? "COMPLETED" : r.approvedAt() > 0 ? "APPROVED" : "REQUESTED").build();
    }
}

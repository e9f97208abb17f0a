package org.ehrledger.web.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.AccountService;
import org.ehrledger.ejb.application.service.SignedIn;
import org.ehrledger.web.security.LoginThrottle;

/** Signing in (a bearer token for the session) and out; the one-time bootstrap of an organisation. */
@ApplicationScoped
@Path("/")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class SessionResource {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @EJB
    AccountService accounts;

    @Inject
    LoginThrottle throttle;

    @Context
    HttpServletRequest request;

    @Inject
    org.ehrledger.ejb.application.service.ReceiptIssuer receipts;

    /** Credentials. */
    public record Credentials(String userId, String password) {
    }

    /**
     * Signs in; the answer carries the bearer token. An address with too many failed sign-ins is refused
     * (429 with {@code Retry-After}) before any password is checked.
     */
    @POST
    @Path("sessions")
    @AnswerCarriesSecret
    public Response signIn(Credentials c) {
        SignedIn s = throttle.attempt(request.getRemoteAddr(), ErrorCode.UNAUTHENTICATED, () -> {
            if (c == null) {
                throw new EhrException(ErrorCode.INVALID_INPUT, "send {\"userId\": ..., \"password\": ...}");
            }
            return accounts.signIn(c.userId(), c.password() == null ? null : c.password().toCharArray());
        });
        return Response.status(201).entity(s).build();
    }

    /** Signs out (ends the session of the presented token). */
    @DELETE
    @Path("sessions/current")
    public Response signOut(@HeaderParam("Authorization") String authorization) {
        accounts.signOut(authorization == null ? null : authorization.replaceFirst("(?i)^Bearer\\s+", ""));
        return Response.noContent().build();
    }

    /** Who the first administrator is. */
    public record FirstAdmin(String adminId, String name) {
    }

    /**
     * Registers this replica's organisation with its first administrator; needs the secret from
     * {@code <data dir>/bootstrap.token} in the {@code X-Bootstrap-Secret} header. The answer carries the
     * administrator's one-time enrolment code (not a password: they enrol with it, POST /api/v1/enrolments).
     */
    @POST
    @Path("bootstrap")
    @AnswerCarriesSecret
    public Response bootstrap(@HeaderParam("X-Bootstrap-Secret") String secret, FirstAdmin admin) {
        if (admin == null) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "send {\"adminId\": ..., \"name\": ...}");
        }
        AccountService.Bootstrapped b = accounts.bootstrap(secret, admin.adminId(), admin.name());
        var json = JSON.createObjectBuilder().add("adminId", b.adminId())
                .add("enrolmentCode", b.enrolment().code()).add("enrolmentExpiresAt", b.enrolment().expiresAtIso())
                .add("organisation", b.organisation());
        if (b.committed() != null) {
            json.add("committed", Receipts.of(b.committed(), receipts));
        }
        if (b.admissionRequest() != null) {
            json.add("admissionRequest", b.admissionRequest());
        }
        return Response.status(201).entity(json.build()).build();
    }
}

package org.ehrledger.web.api;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.ejb.EJBAccessException;
import jakarta.ejb.EJBException;
import jakarta.json.bind.JsonbException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.ehrledger.ejb.application.DatabaseBusyException;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.TooManyAttemptsException;

/** Every failure becomes problem details; nothing internal (stack traces, SQL) reaches the caller. */
public final class ExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ExceptionMappers.class.getName());

    private ExceptionMappers() {
    }

    static Response of(ErrorCode code, String detail) {
        return Problems.response(code, detail);
    }

    /** A typed failure; a refusal to try again later says when ({@code Retry-After}). */
    static Response of(EhrException e) {
        return withRetryAfter(of(e.code(), e.getMessage()), e);
    }

    /** {@code answer} with {@code Retry-After} when {@code e} is a refusal to try again later (throttled, database busy). */
    public static Response withRetryAfter(Response answer, EhrException e) {
        long seconds = e instanceof TooManyAttemptsException later ? later.retryAfterSeconds()
                : e instanceof DatabaseBusyException ? DatabaseBusyException.RETRY_AFTER_SECONDS : -1;
        return seconds < 0 ? answer : Response.fromResponse(answer).header("Retry-After", seconds).build();
    }

    /** Typed service failures. */
    @Provider
    public static class Ehr implements ExceptionMapper<EhrException> {
        @Override
        public Response toResponse(EhrException e) {
            return of(e);
        }
    }

    /** Role checks of the session beans. */
    @Provider
    public static class Access implements ExceptionMapper<EJBAccessException> {
        @Context
        SecurityContext security;

        @Override
        public Response toResponse(EJBAccessException e) {
            return unauthorised(security);
        }
    }

    static Response unauthorised(SecurityContext security) {
        if (security == null || security.getUserPrincipal() == null) {
            return of(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions) and send the token as "
                    + "'Authorization: Bearer <token>'");
        }
        return of(ErrorCode.FORBIDDEN, "your role may not do this");
    }

    /** Anything else from a session bean: typed causes unwrapped, the rest logged with a reference. */
    @Provider
    public static class Ejb implements ExceptionMapper<EJBException> {
        @Context
        SecurityContext security;

        @Override
        public Response toResponse(EJBException e) {
            Throwable cause = cause(e);
            if (cause instanceof EhrException ehr) {
                return of(ehr);
            }
            if (e instanceof EJBAccessException || cause instanceof SecurityException) {
                return unauthorised(security);
            }
            return internal(e);
        }
    }

    /** Malformed JSON and JAX-RS's own errors (404, 405, 406, 415 ...). */
    @Provider
    public static class Web implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status == 413) {
                return of(ErrorCode.PAYLOAD_TOO_LARGE, e.getMessage());
            }
            if (status >= 500) {
                return internal(e);
            }
            String code = ErrorCode.ofHttpStatus(status).name();
            String detail = status == 400 ? "the request body is not valid JSON of the expected shape"
                    : e.getResponse().getStatusInfo().getReasonPhrase();
            return Problems.response(status, code, e.getResponse().getStatusInfo().getReasonPhrase(), detail);
        }
    }

    /** JSON that does not bind to the expected types. */
    @Provider
    public static class Json implements ExceptionMapper<JsonbException> {
        @Override
        public Response toResponse(JsonbException e) {
            return of(ErrorCode.INVALID_INPUT, "the request body is not valid JSON of the expected shape");
        }
    }

    /** A body that cannot be read or bound (malformed JSON, wrong types, too large while streaming). */
    @Provider
    public static class Unreadable implements ExceptionMapper<jakarta.ws.rs.ProcessingException> {
        @Override
        public Response toResponse(jakarta.ws.rs.ProcessingException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof WebApplicationException w && w.getResponse().getStatus() == 413) {
                    return of(ErrorCode.PAYLOAD_TOO_LARGE, w.getMessage());
                }
            }
            return of(ErrorCode.INVALID_INPUT, "the request body is not valid JSON of the expected shape");
        }
    }

    /** Anything not mapped above. */
    @Provider
    public static class Fallback implements ExceptionMapper<Exception> {
        @Override
        public Response toResponse(Exception e) {
            return internal(e);
        }
    }

    /** An unexpected failure, unless it was the database giving up on a conflict: then 503 BUSY, to be retried. */
    static Response internal(Throwable e) {
        return DatabaseBusyException.causes(e) ? of(new DatabaseBusyException()) : of(ErrorCode.INTERNAL, internalDetail(e));
    }

    /** What a session bean threw, inside the container's wrapping. */
    public static Throwable cause(EJBException e) {
        return e.getCause() != null ? e.getCause() : e.getCausedByException();
    }

    /** Logs an unexpected failure under a new reference and says what the caller can do with it. */
    public static String internalDetail(Throwable e) {
        String ref = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "internal error " + ref, e);
        return "something went wrong on this replica (reference " + ref + "); the operator can find it in the log";
    }
}

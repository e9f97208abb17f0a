package org.ehrledger.web.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.IdempotencyKeys;

/**
 * {@code Idempotency-Key} on writes (POST, PUT, DELETE): a client that retries with the same key gets the
 * first answer again (marked {@code Idempotency-Replayed: true}) and nothing is done twice. The key is
 * reserved in the replica's database before the request runs, so a retry while it runs, or after the
 * replica stopped before answering, gets 409 rather than a second execution. A key used again for a
 * different request gets 422. Answers that did not change anything and may succeed later (401, 429, 503)
 * release the key; a commit timeout (504) keeps it, since the write may still commit.
 * <ul>
 * <li>Keys belong to the signed-in caller: the same key of two callers are two keys. An anonymous request
 * with a key (signing in, signing up, bootstrap) is refused with 400 {@code INVALID_INPUT}: nothing is
 * stored for anonymous callers.</li>
 * <li>An answer carrying a secret ({@link AnswerCarriesSecret}, or a field named like one of
 * {@link #SECRET_FIELDS}) is never stored: a retry gets 409 {@code CONFLICT} saying the first request was
 * carried out, and never the secret.</li>
 * <li>Keys expire after 24 hours and a caller holds at most {@value IdempotencyKeys#MAX_KEYS_PER_CALLER};
 * beyond that a request with a new key gets 429 ({@link IdempotencyKeys}).</li>
 * </ul>
 */
@Provider
@Priority(Priorities.ENTITY_CODER + 10)
public class Idempotency implements ContainerRequestFilter, ContainerResponseFilter {

    /** The request header. */
    public static final String HEADER = "Idempotency-Key";
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String RESERVED = "ehr.idempotency.id";
    /** Names of JSON fields whose values are secrets; an answer with one is never stored. */
    static final List<String> SECRET_FIELDS = List.of("token", "password", "initialPassword", "enrolmentCode",
            "recoveryCode", "secret", "privateKey", "pkcs12");
    private static final Pattern SECRET_FIELD = Pattern.compile("\"(" + String.join("|", SECRET_FIELDS) + ")\"\\s*:",
            Pattern.CASE_INSENSITIVE);

    @Inject
    IdempotencyKeys store;

    @Context
    ResourceInfo resource;

    @Override
    public void filter(ContainerRequestContext request) throws IOException {
        String key = request.getHeaderString(HEADER);
        String method = request.getMethod();
        if (key == null || !(method.equals("POST") || method.equals("PUT") || method.equals("DELETE"))) {
            return;
        }
        if (!KEY.matcher(key).matches()) {
            request.abortWith(Problems.response(ErrorCode.INVALID_INPUT,
                    HEADER + " is 1 to 128 letters, digits, '.', '_', ':' or '-' (a UUID is a good choice)"));
            return;
        }
        if (request.getSecurityContext().getUserPrincipal() == null) {
            request.abortWith(Problems.response(ErrorCode.INVALID_INPUT, HEADER
                    + " is for signed-in callers only (Authorization: Bearer): signing in, signing up and bootstrap "
                    + "answer with credentials, which are never stored to be replayed. Send this request without "
                    + HEADER));
            return;
        }
        byte[] body = request.hasEntity() ? request.getEntityStream().readAllBytes() : new byte[0];
        request.setEntityStream(new ByteArrayInputStream(body));
        String caller = request.getSecurityContext().getUserPrincipal().getName();
        String hash = IdempotencyKeys.requestHash(method, request.getUriInfo().getRequestUri().getRawPath(),
                request.getUriInfo().getRequestUri().getRawQuery(), body);
        IdempotencyKeys.Reservation reservation;
        try {
            reservation = store.reserve(caller, key, hash, System.currentTimeMillis());
        } catch (RuntimeException concurrent) {
            request.abortWith(inProgress());
            return;
        }
        if (reservation instanceof IdempotencyKeys.Used used) {
            request.abortWith(replay(used.first(), hash));
        } else if (reservation instanceof IdempotencyKeys.Full) {
            request.abortWith(Problems.response(ErrorCode.TOO_MANY_ATTEMPTS, "you hold "
                    + IdempotencyKeys.MAX_KEYS_PER_CALLER + " idempotency keys of the last 24 hours, the most kept per "
                    + "caller; send this request without " + HEADER + ", or wait for your oldest keys to expire"));
        } else if (reservation instanceof IdempotencyKeys.Reserved reserved) {
            request.setProperty(RESERVED, reserved.id());
        }
    }

    /** The answer to a retry of a key used before. */
    private static Response replay(IdempotencyKeys.FirstRequest first, String hash) {
        if (!first.requestHash().equals(hash)) {
            return Problems.response(ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "this " + HEADER + " was used for a different request; use a new key for a new request");
        }
        if (first.status() == 0) {
            return inProgress();
        }
        if (!first.replayable()) {
            return Problems.response(ErrorCode.CONFLICT, "the first request with this " + HEADER
                    + " was carried out (answered " + first.status() + "); its answer carried a credential, which is "
                    + "never stored, so it cannot be shown again. Look the result up (GET) instead of retrying");
        }
        return Response.status(first.status()).type(first.status() >= 400 ? Problems.MEDIA_TYPE : MediaType.APPLICATION_JSON)
                .entity(first.body()).header("Idempotency-Replayed", "true").build();
    }

    private static Response inProgress() {
        return Problems.response(ErrorCode.CONFLICT, "the first request with this " + HEADER
                + " has not been answered: it is still running, or this replica stopped before answering. "
                + "Check whether it took effect (GET) before sending it again with a new key");
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        Object id = request.getProperty(RESERVED);
        if (id == null) {
            return;
        }
        int status = response.getStatus();
        if (status == 401 || status == 429 || status == 503) {
            store.release((String) id);
            return;
        }
        if (status == 504) {
            return; // may still commit: the key stays reserved
        }
        Object entity = response.getEntity();
        String body = entity == null ? "" : entity instanceof String s ? s : entity instanceof JsonValue v ? v.toString()
                : Binding.JSONB.toJson(entity);
        Method method = resource.getResourceMethod();
        boolean secret = status < 400 && method != null && method.isAnnotationPresent(AnswerCarriesSecret.class);
        if (secret || namesSecret(body)) {
            store.withheld((String) id, status);
        } else {
            store.answer((String) id, status, body);
        }
    }

    /** JSON-B, made when first needed (the container provides it). */
    private static final class Binding {
        static final Jsonb JSONB = JsonbBuilder.create();
    }

    /** Whether a JSON answer has a field named like a secret (a safety net under {@link AnswerCarriesSecret}). */
    static boolean namesSecret(String json) {
        return SECRET_FIELD.matcher(json).find();
    }
}

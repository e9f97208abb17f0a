package org.ehrledger.web.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response;

import org.ehrledger.ejb.application.ErrorCode;

/** Problem details (RFC 9457) with a stable {@code code}. */
public final class Problems {

    /** JSON-P looks its provider up on every static call (class loading per request): one provider. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    /** Media type of problem details. */
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://ehr-ledger.org/problems/";

    private Problems() {
    }

    /** The problem document. */
    public static JsonObject body(int status, String code, String title, String detail) {
        return JSON.createObjectBuilder().add("type", TYPE_BASE + code.toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .add("title", title).add("status", status).add("detail", detail == null ? title : detail)
                .add("code", code).build();
    }

    /** A JAX-RS response carrying a problem with its code's status and title. */
    public static Response response(ErrorCode code, String detail) {
        return response(code.httpStatus(), code.name(), code.title(), detail);
    }

    /** A JAX-RS response carrying a problem. */
    public static Response response(int status, String code, String title, String detail) {
        return Response.status(status).type(MEDIA_TYPE).entity(body(status, code, title, detail).toString()).build();
    }

    /** Writes a problem with its code's status and title straight to a servlet response (outside JAX-RS). */
    public static void write(HttpServletResponse response, ErrorCode code, String detail) throws IOException {
        write(response, code.httpStatus(), code.name(), code.title(), detail);
    }

    /** Writes a problem straight to a servlet response (outside JAX-RS). */
    public static void write(HttpServletResponse response, int status, String code, String title, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType(MEDIA_TYPE);
        response.getOutputStream().write(body(status, code, title, detail).toString().getBytes(StandardCharsets.UTF_8));
    }
}

package org.ehrledger.web.fhir;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

import jakarta.annotation.Priority;
import jakarta.ejb.EJBAccessException;
import jakarta.ejb.EJBException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.MessageBodyWriter;

import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.DatabaseBusyException;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.web.api.ExceptionMappers;

/**
 * The facade's JAX-RS providers: content negotiation ({@code _format} and {@code Accept}), bodies parsed and
 * written with HAPI, authentication required everywhere but {@code /metadata}, and every failure answered as
 * an OperationOutcome in the format asked for. Refusals are written to the audit log.
 */
public final class FhirProviders {

    static final Logger AUDIT = Logger.getLogger("org.ehrledger.audit");

    /** Largest request body of the facade but a bundle posted to the base URL. */
    public static final int MAX_BYTES = 4 << 20;
    /** Largest transaction bundle (a patient's whole history, posted to the base URL). */
    public static final int MAX_BUNDLE_BYTES = 64 << 20;

    private FhirProviders() {
    }

    /** {@code _format=json|xml|<media type>} overrides {@code Accept}, as the FHIR specification asks. */
    @PreMatching
    @Priority(Priorities.HEADER_DECORATOR)
    public static class Format implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext request) {
            String format = request.getUriInfo().getQueryParameters().getFirst("_format");
            if (format == null || format.isBlank()) {
                return;
            }
            String f = format.strip().toLowerCase(Locale.ROOT);
            String accept;
            if (f.equals("json") || f.contains("json")) {
                accept = Fhir.JSON;
            } else if (f.equals("xml") || f.contains("xml")) {
                accept = Fhir.XML;
            } else {
                throw FhirException.invalid("_format is json, xml, application/fhir+json or application/fhir+xml");
            }
            request.getHeaders().putSingle(HttpHeaders.ACCEPT, accept);
        }
    }

    /**
     * Every interaction but the capability statement needs a signed-in caller (a bearer token). A signed-in
     * caller's first request starts loading the validator in the background; the capability statement does not.
     */
    @Priority(Priorities.AUTHENTICATION)
    public static class Authenticated implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext request) {
            SecurityContext security = request.getSecurityContext();
            String path = request.getUriInfo().getPath();
            if (path.equals("metadata") || path.equals(".well-known/smart-configuration")
                    || path.equals(".well-known/openid-configuration")) {
                return;
            }
            if (security != null && security.getUserPrincipal() != null) {
                Fhir.warmUp();
                return;
            }
            throw new FhirException(401, OperationOutcome.IssueType.LOGIN, ErrorCode.UNAUTHENTICATED,
                    "sign in first (POST /api/v1/sessions) and send the token as 'Authorization: Bearer <token>'");
        }
    }

    /** Resources in, JSON or XML, strictly parsed, bounded, with no DTDs or entities. */
    @Consumes({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML, MediaType.TEXT_XML})
    public static class Reader implements MessageBodyReader<Resource> {
        @Context
        UriInfo uri;

        @Override
        public boolean isReadable(Class<?> type, Type generic, Annotation[] annotations, MediaType media) {
            return Resource.class.isAssignableFrom(type);
        }

        @Override
        public Resource readFrom(Class<Resource> type, Type generic, Annotation[] annotations, MediaType media,
                                 MultivaluedMap<String, String> headers, InputStream in) throws IOException {
            String path = uri == null ? null : uri.getPath();
            return read(type, media, in, path == null || path.isEmpty() || path.equals("/") ? MAX_BUNDLE_BYTES : MAX_BYTES);
        }

        /**
         * Parses a resource of {@code type} from at most {@code max} bytes, remembering the SHA-256 of the bytes
         * ({@link Transactions#BODY_HASH}). JSON is parsed as it arrives (a whole-history bundle of tens of MiB is
         * held once, as the parsed resource, not also as bytes and text); XML is read whole first, to refuse a
         * DOCTYPE or entity declaration before any parser sees it.
         */
        static <R extends Resource> R read(Class<R> type, MediaType media, InputStream in, int max) throws IOException {
            boolean xml = media != null && media.getSubtype().contains("xml");
            HashedBody body = new HashedBody(in, max);
            IBaseResource parsed;
            try {
                if (xml) {
                    String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                    if (text.contains("<!DOCTYPE") || text.contains("<!ENTITY")) {
                        throw FhirException.invalid("XML with a DOCTYPE or entity declarations is not accepted");
                    }
                    parsed = text.isEmpty() ? null : Fhir.parser(true).parseResource(text);
                } else {
                    parsed = Fhir.parser(false).parseResource(new InputStreamReader(body, StandardCharsets.UTF_8));
                }
            } catch (DataFormatException | ClassCastException | IOException e) {
                if (body.tooLong) {
                    throw tooLong(max);
                }
                if (body.count == 0) {
                    throw noBody();
                }
                if (e instanceof IOException io) {
                    throw io;
                }
                throw FhirException.invalid("the body is not a valid FHIR R4 resource in " + (xml ? "XML" : "JSON") + ": "
                        + trim(e.getMessage()));
            }
            if (body.tooLong) {
                throw tooLong(max);
            }
            if (parsed == null) {
                throw noBody();
            }
            if (!type.isInstance(parsed)) {
                throw FhirException.invalid("expected a " + type.getSimpleName() + ", got a " + parsed.fhirType());
            }
            try {
                body.transferTo(OutputStream.nullOutputStream()); // what follows the resource (white space) counts to the hash
            } catch (IOException e) {
                if (body.tooLong) {
                    throw tooLong(max);
                }
                throw e;
            }
            R resource = type.cast(parsed);
            resource.setUserData(Transactions.BODY_HASH, body.hex());
            return resource;
        }

        private static FhirException noBody() {
            return FhirException.invalid("the request has no body; send a FHIR resource as JSON or XML");
        }

        private static FhirException tooLong(int max) {
            return new FhirException(413, OperationOutcome.IssueType.TOOLONG, ErrorCode.PAYLOAD_TOO_LARGE,
                    "request bodies are limited to " + max / 1024 / 1024 + " MiB (a transaction bundle to the base URL: "
                            + MAX_BUNDLE_BYTES / 1024 / 1024 + " MiB)");
        }

        /** A request body read through: counted, hashed with SHA-256, and ended with an IOException past its bound. */
        static final class HashedBody extends FilterInputStream {
            private final int max;
            private final MessageDigest sha256;
            long count;
            boolean tooLong;

            HashedBody(InputStream in, int max) {
                super(in);
                this.max = max;
                try {
                    this.sha256 = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (tooLong) {
                    throw new IOException("request body longer than " + max + " bytes");
                }
                int n = in.read(b, off, len);
                if (n > 0) {
                    count += n;
                    if (count > max) {
                        tooLong = true;
                        throw new IOException("request body longer than " + max + " bytes");
                    }
                    sha256.update(b, off, n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException { // read through read(), so that every byte is counted and hashed
                int r = n <= 0 ? 0 : read(new byte[(int) Math.min(n, 8192)], 0, (int) Math.min(n, 8192));
                return Math.max(r, 0);
            }

            @Override
            public boolean markSupported() {
                return false;
            }

            /** The hex SHA-256 of the bytes read. */
            String hex() {
                return HexFormat.of().formatHex(sha256.digest());
            }
        }

        /** The body, or a 413 when it is longer than {@code max} bytes. */
        static byte[] bounded(InputStream in, int max) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                if (out.size() > max) {
                    throw tooLong(max);
                }
            }
            return out.toByteArray();
        }
    }

    /** A parser's message, at most 300 characters (it may quote the body). */
    static String trim(String message) {
        if (message == null) {
            return "unreadable";
        }
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }

    /** Resources out, as JSON or XML. */
    @Produces({Fhir.JSON, Fhir.XML, MediaType.APPLICATION_JSON, MediaType.APPLICATION_XML, MediaType.TEXT_XML})
    public static class Writer implements MessageBodyWriter<IBaseResource> {
        @Override
        public boolean isWriteable(Class<?> type, Type generic, Annotation[] annotations, MediaType media) {
            return IBaseResource.class.isAssignableFrom(type);
        }

        @Override
        public void writeTo(IBaseResource resource, Class<?> type, Type generic, Annotation[] annotations, MediaType media,
                            MultivaluedMap<String, Object> headers, OutputStream out) throws IOException {
            boolean xml = media != null && media.getSubtype().contains("xml");
            headers.putSingle(HttpHeaders.CONTENT_TYPE, (xml ? Fhir.XML : Fhir.JSON) + ";charset=UTF-8");
            out.write(Fhir.encode(resource, xml));
        }
    }

    /** Whether the caller asked for XML. */
    static boolean wantsXml(HttpHeaders headers) {
        if (headers == null) {
            return false;
        }
        for (MediaType m : headers.getAcceptableMediaTypes()) {
            if (m.getSubtype().contains("xml")) {
                return true;
            }
            if (m.getSubtype().contains("json")) {
                return false;
            }
        }
        return false;
    }

    static Response outcome(int status, OperationOutcome outcome, HttpHeaders headers) {
        Response.ResponseBuilder r = Response.status(status).type(wantsXml(headers) ? Fhir.XML : Fhir.JSON).entity(outcome);
        if (status == 401) {
            r.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"ehr-ledger\"");
        }
        return r.build();
    }

    static Response outcome(ErrorCode code, String diagnostics, HttpHeaders headers) {
        int status = code == ErrorCode.REFUSED ? 403 : code.httpStatus();
        return outcome(status, Outcomes.of(OperationOutcome.IssueSeverity.ERROR, Outcomes.type(status), code.name(), diagnostics),
                headers);
    }

    /** Writes refused requests (401 and 403) to the replica's audit log: who, what, from where. */
    public static void audit(int status, SecurityContext security, UriInfo uri, HttpHeaders headers, String why) {
        if (status != 401 && status != 403) {
            return;
        }
        String who = security == null || security.getUserPrincipal() == null ? "anonymous caller"
                : "user " + security.getUserPrincipal().getName();
        AUDIT.warning(() -> "FHIR " + status + ": " + who + " refused" + (uri == null ? "" : " on /fhir/r4/" + uri.getPath())
                + ": " + why);
    }

    /** Base for the mappers: the request's context, for the format and the audit log. */
    abstract static class Mapper<E extends Throwable> implements ExceptionMapper<E> {
        @Context
        HttpHeaders headers;
        @Context
        SecurityContext security;
        @Context
        UriInfo uri;

        Response answer(int status, OperationOutcome outcome) {
            audit(status, security, uri, headers, outcome.getIssueFirstRep().getDiagnostics());
            return outcome(status, outcome, headers);
        }

        Response answer(ErrorCode code, String diagnostics) {
            int status = code == ErrorCode.REFUSED ? 403 : code.httpStatus();
            return answer(status, Outcomes.of(OperationOutcome.IssueSeverity.ERROR, Outcomes.type(status), code.name(), diagnostics));
        }

        Response unauthorised() {
            if (security == null || security.getUserPrincipal() == null) {
                return answer(ErrorCode.UNAUTHENTICATED, "sign in first (POST /api/v1/sessions) and send the token as "
                        + "'Authorization: Bearer <token>'");
            }
            return answer(ErrorCode.FORBIDDEN, "your role may not do this");
        }

        Response internal(Throwable e) {
            if (DatabaseBusyException.causes(e)) {
                DatabaseBusyException busy = new DatabaseBusyException();
                return ExceptionMappers.withRetryAfter(answer(busy.code(), busy.getMessage()), busy);
            }
            return outcome(500, Outcomes.of(OperationOutcome.IssueSeverity.FATAL, OperationOutcome.IssueType.EXCEPTION,
                    ErrorCode.INTERNAL.name(), ExceptionMappers.internalDetail(e)), headers);
        }
    }

    public static class Failure extends Mapper<FhirException> {
        @Override
        public Response toResponse(FhirException e) {
            return answer(e.status(), e.outcome());
        }
    }

    public static class Ehr extends Mapper<EhrException> {
        @Override
        public Response toResponse(EhrException e) {
            return answer(e.code(), e.getMessage());
        }
    }

    public static class Access extends Mapper<EJBAccessException> {
        @Override
        public Response toResponse(EJBAccessException e) {
            return unauthorised();
        }
    }

    public static class Ejb extends Mapper<EJBException> {
        @Override
        public Response toResponse(EJBException e) {
            Throwable cause = ExceptionMappers.cause(e);
            if (cause instanceof EhrException ehr) {
                return answer(ehr.code(), ehr.getMessage());
            }
            if (cause instanceof FhirException f) {
                return answer(f.status(), f.outcome());
            }
            if (e instanceof EJBAccessException || cause instanceof SecurityException) {
                return unauthorised();
            }
            return internal(e);
        }
    }

    /** JAX-RS's own errors (404 for unknown paths, 405, 406, 415) and unreadable bodies. */
    public static class Web extends Mapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status >= 500) {
                return internal(e);
            }
            String detail = switch (status) {
                case 404 -> "no such resource type or interaction on this server; see /fhir/r4/metadata";
                case 405 -> "this interaction is not supported on this resource type; see /fhir/r4/metadata";
                case 406 -> "this server answers application/fhir+json or application/fhir+xml";
                case 415 -> "send application/fhir+json or application/fhir+xml";
                default -> e.getResponse().getStatusInfo().getReasonPhrase();
            };
            String code = ErrorCode.ofHttpStatus(status).name();
            return answer(status, Outcomes.of(OperationOutcome.IssueSeverity.ERROR, Outcomes.type(status), code, detail));
        }
    }

    /** A body that cannot be read (e.g. a broken stream). */
    public static class Unreadable extends Mapper<jakarta.ws.rs.ProcessingException> {
        @Override
        public Response toResponse(jakarta.ws.rs.ProcessingException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof FhirException f) {
                    return answer(f.status(), f.outcome());
                }
            }
            return answer(ErrorCode.INVALID_INPUT, "the request body could not be read as a FHIR resource");
        }
    }

    public static class Fallback extends Mapper<Exception> {
        @Override
        public Response toResponse(Exception e) {
            return internal(e);
        }
    }

    /** Every provider of the facade. */
    static List<Class<?>> all() {
        return List.of(Format.class, Authenticated.class, SmartScopes.class, Reader.class, Writer.class, Failure.class, Ehr.class, Access.class,
                Ejb.class, Web.class, Unreadable.class, Fallback.class);
    }
}

package org.ehrledger.web.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.ErrorCode;

/**
 * Serves the JSON API's OpenAPI document at {@code /openapi} from a static file in the application
 * ({@code META-INF/openapi.json}, generated from the resource classes at build time; see OpenApiDocumentTest).
 * The server's own MicroProfile OpenAPI endpoint, which Payara adds to the application at the root context,
 * builds its model on the first request by parsing every class of the archive (a 110 MB WAR: more than the
 * default 512 MB heap); this filter answers every request under {@code /openapi} before it, so nothing of the
 * kind ever runs. JSON is YAML 1.2, so the one document answers both the default (YAML) and JSON requests.
 */
@WebFilter(urlPatterns = {"/openapi", "/openapi/*"})
public class OpenApiDocumentFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    static final String RESOURCE = "/META-INF/openapi.json";
    private static final byte[] DOCUMENT = load();

    private static byte[] load() {
        try (InputStream in = OpenApiDocumentFilter.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the application");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (!path.equals("/openapi") && !path.equals("/openapi/")) {
            Problems.write(response, ErrorCode.NOT_FOUND, "the OpenAPI document is at /openapi");
            return;
        }
        if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
            response.setHeader("Allow", "GET, HEAD");
            Problems.write(response, ErrorCode.METHOD_NOT_ALLOWED, "GET the OpenAPI document");
            return;
        }
        String accept = request.getHeader("Accept");
        boolean json = "JSON".equalsIgnoreCase(request.getParameter("format"))
                || accept != null && accept.contains("application/json");
        response.setStatus(200);
        response.setContentType((json ? "application/json" : "application/yaml") + ";charset=UTF-8");
        response.setHeader("Cache-Control", "public, max-age=300");
        response.setContentLength(DOCUMENT.length);
        if (request.getMethod().equals("GET")) {
            response.getOutputStream().write(DOCUMENT);
        }
    }
}

package org.ehrledger.web.security;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Browser hardening for every answer: no sniffing, no framing, no referrer; for the portal a strict
 * content security policy (scripts and styles from the application only, nothing inline). Nothing but the
 * portal's static resources may be cached: every portal page, every JSON API answer and every FHIR answer
 * is {@code Cache-Control: no-store} (and {@code Pragma: no-cache} for HTTP/1.0 caches), since any of them
 * may carry health data or a credential.
 */
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class SecurityHeadersFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    /** The portal's content security policy. */
    public static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (!path.startsWith("/api/") && !path.startsWith("/openapi")) {
            response.setHeader("Content-Security-Policy", CSP);
        }
        if (!path.startsWith("/jakarta.faces.resource/") && !path.startsWith("/openapi")) {
            response.setHeader("Cache-Control", "no-store");
            response.setHeader("Pragma", "no-cache");
        }
        chain.doFilter(request, response);
    }
}

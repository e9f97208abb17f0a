package org.ehrledger.web.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.ejb.EJB;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.web.fhir.RawOutcome;

/**
 * A replica whose stored ledger is damaged serves nothing but its status ({@code GET /api/v1/cluster}):
 * every other request of every channel (portal, JSON API, FHIR, SOAP, block sync to peers) answers
 * {@link ErrorCode#DAMAGED} (503) saying where the damage is and what the operator does next: browsers as
 * a page, FHIR clients as an OperationOutcome, the others as problem details.
 */
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class DamagedReplicaFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final String STATUS_PATH = "/api/v1/cluster";

    @EJB
    NetworkService network;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String damaged = STATUS_PATH.equals(path) ? null : network.damaged();
        if (damaged == null) {
            chain.doFilter(request, response);
            return;
        }
        ErrorCode code = ErrorCode.DAMAGED;
        String accept = request.getHeader("Accept");
        if (!path.startsWith("/api/") && !path.startsWith("/fhir/") && accept != null && accept.contains("text/html")) {
            response.setStatus(code.httpStatus());
            response.setContentType("text/html;charset=UTF-8");
            String text = damaged.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
            response.getOutputStream().write(("<!DOCTYPE html><html lang=\"en\"><head><title>" + code.title()
                    + "</title></head><body><h1>" + code.title() + "</h1><p>" + text + "</p></body></html>")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.startsWith("/fhir/")) {
            RawOutcome.write(response, code, damaged);
            return;
        }
        Problems.write(response, code.httpStatus(), code.name(), code.title(), damaged);
    }
}

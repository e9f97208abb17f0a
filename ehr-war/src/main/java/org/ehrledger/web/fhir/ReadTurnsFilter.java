package org.ehrledger.web.fhir;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.Turns;

/**
 * FHIR reads take turns, one per core, from the moment they start to the last byte of their answer. One read may
 * open up to {@value Records#MAX_OPENED_BYTES} bytes of a patient's records ({@code $everything}, a search of a
 * patient searched whole) and hold them, as HAPI resources and then as the encoded answer, until it is written: a
 * few dozen such reads at once (a patient's app retrying, a practitioner's scripts) would otherwise fill the default
 * heap and stop the replica. Reads beyond the bound wait in arrival order for up to {@value #WAIT_MILLIS} ms, then are
 * answered BUSY (503 with {@code Retry-After}); on two cores, reads that run at once compute no faster than two.
 * Not counted: the capability statement and SMART discovery (no records), the bulk jobs' status and file downloads
 * (streamed from disk a chunk at a time, and long), and writes (a bundle's validation takes its own turn).
 */
@WebFilter(urlPatterns = FhirApplication.PATH + "/*")
public class ReadTurnsFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    /** The longest a read waits for a turn. */
    static final long WAIT_MILLIS = 30_000;
    private static final Turns PER_CORE = Turns.perCore(WAIT_MILLIS,
            "the replica is answering as many FHIR reads as it has cores, some of them large; try again in a few seconds");

    private final transient Turns reads;

    /** The container's filter: one turn per core, shared by every read of the application. */
    public ReadTurnsFilter() {
        this(PER_CORE);
    }

    ReadTurnsFilter(Turns reads) {
        this.reads = reads;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!counted(request)) {
            chain.doFilter(request, response);
            return;
        }
        Turns.Turn turn;
        try {
            turn = reads.take();
        } catch (EhrException busy) {
            response.setHeader("Retry-After", "5");
            RawOutcome.write(response, ErrorCode.BUSY, busy.getMessage());
            return;
        }
        try (turn) {
            chain.doFilter(request, response);
        }
    }

    /** A read that may open records: a GET other than discovery and the bulk jobs' status and files. */
    static boolean counted(HttpServletRequest request) {
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            return false;
        }
        String rest = pathUnderFacade(request);
        return !(rest.equals("metadata") || rest.startsWith(".well-known/") || rest.startsWith(FhirEndpoint.EXPORTS)
                || rest.startsWith(FhirEndpoint.IMPORTS));
    }

    /**
     * The decoded path under {@code /fhir/r4/} ("$" may arrive as %24): the facade servlet's path info, or, should the
     * container not give one, the request's path; anything not understood is counted (the bound fails closed).
     */
    private static String pathUnderFacade(HttpServletRequest request) {
        String path = request.getPathInfo();
        if (path == null) {
            try {
                path = java.net.URI.create(request.getRequestURI()).getPath().substring(request.getContextPath().length());
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                return "";
            }
            path = path.startsWith(FhirApplication.PATH) ? path.substring(FhirApplication.PATH.length()) : "";
        }
        return path.replaceFirst("^/+", "");
    }
}

package org.ehrledger.web.portal;

import java.io.IOException;

import jakarta.ejb.EJB;
import jakarta.ejb.EJBAccessException;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.web.api.Problems;

/**
 * The cluster page's live data: this replica's latency timeline, the same JSON as
 * {@code GET /api/v1/cluster/timeline}, for the signed-in administrator's portal session (the JSON API
 * accepts bearer tokens only, never the portal's cookie). Under {@code /admin/}, so the container lets
 * administrators alone reach it; the session bean checks the role again. Read-only.
 */
@WebServlet(urlPatterns = "/admin/cluster/timeline")
public class ClusterTimelineServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Jsonb JSON = JsonbBuilder.create();

    @EJB
    private transient NetworkService network;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        NetworkService.Timeline timeline;
        try {
            String seconds = request.getParameter("seconds");
            timeline = network.timeline(seconds == null ? NetworkService.TIMELINE_SECONDS : parse(seconds));
        } catch (EhrException e) {
            Problems.write(response, e.code(), e.getMessage());
            return;
        } catch (EJBAccessException e) {
            Problems.write(response, ErrorCode.FORBIDDEN, "your role may not do this");
            return;
        }
        response.setContentType("application/json;charset=UTF-8");
        response.getOutputStream().write(JSON.toJson(timeline).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static int parse(String seconds) {
        try {
            return Integer.parseInt(seconds);
        } catch (NumberFormatException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "seconds is a whole number");
        }
    }
}

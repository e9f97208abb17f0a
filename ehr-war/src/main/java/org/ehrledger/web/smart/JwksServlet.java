package org.ehrledger.web.smart;

import java.io.IOException;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The public key ID tokens are signed with ({@code GET /smart/jwks}, no sign-in): a JWK Set. It changes when the
 * replica restarts, so it may be cached only briefly.
 */
@WebServlet("/smart/jwks")
public class JwksServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient IdTokens idTokens;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "max-age=300");
        response.setContentType("application/json;charset=UTF-8");
        response.getWriter().write(idTokens.publicKeys().toString());
    }
}

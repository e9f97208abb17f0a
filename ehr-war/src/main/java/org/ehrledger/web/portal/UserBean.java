package org.ehrledger.web.portal;

import java.io.IOException;
import java.util.Optional;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.ejb.infrastructure.identity.CallerSessions;
import org.ehrledger.web.security.EhrAuthenticationMechanism;

/** The signed-in person as the layout shows them, and signing out. */
@Named("user")
@RequestScoped
public class UserBean {

    @Inject
    CallerSessions sessions;

    @Inject
    LedgerRuntime ledger;

    private Optional<CallerSessions.Session> session;

    private Optional<CallerSessions.Session> session() {
        if (session == null) {
            HttpSession http = ((HttpServletRequest) Portal.external().getRequest()).getSession(false);
            Object token = http == null ? null : http.getAttribute(EhrAuthenticationMechanism.SESSION_TOKEN);
            session = token instanceof String t ? sessions.find(t) : Optional.empty();
        }
        return session;
    }

    public boolean isSignedIn() {
        return session().isPresent();
    }

    public String getId() {
        return session().map(CallerSessions.Session::userId).orElse("");
    }

    public String getName() {
        return session().map(CallerSessions.Session::displayName).orElse("");
    }

    public String getRole() {
        return session().map(s -> s.role().name()).orElse("");
    }

    public boolean isPatient() {
        return is(Role.PATIENT);
    }

    public boolean isPractitioner() {
        return is(Role.PRACTITIONER);
    }

    public boolean isAdmin() {
        return is(Role.ADMIN);
    }

    private boolean is(Role role) {
        return session().map(s -> s.role() == role).orElse(false);
    }

    /** The person's organisation (display name). */
    public String getOrganisation() {
        return session().map(s -> ledger.query(st -> {
            var o = st.organisation(s.organisation());
            return o == null ? s.organisation() : o.name();
        })).orElse("");
    }

    /** Ends the session here and in the application. */
    public String signOut() throws ServletException, IOException {
        HttpServletRequest request = (HttpServletRequest) Portal.external().getRequest();
        HttpSession http = request.getSession(false);
        if (http != null) {
            Object token = http.getAttribute(EhrAuthenticationMechanism.SESSION_TOKEN);
            if (token instanceof String t) {
                sessions.close(t);
            }
        }
        request.logout();
        if (http != null) {
            http.invalidate();
        }
        return "/login.xhtml?faces-redirect=true&signedOut=true";
    }
}

package org.ehrledger.web.portal;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.enterprise.context.RequestScoped;
import jakarta.faces.application.FacesMessage;
import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.security.enterprise.SecurityContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.web.security.SecurityHeadersFilter;
import org.ehrledger.web.smart.AuthorizeServlet;
import org.ehrledger.web.smart.Launches;
import org.ehrledger.web.smart.SmartClient;
import org.ehrledger.web.smart.SmartClients;

/**
 * SMART EHR launch from a patient's chart: the practitioner picks a registered app, and their browser goes to the
 * app's launch URL with {@code iss} (this FHIR base) and a single-use {@code launch} bound to them and the patient
 * whose record they opened. The app then sends them through the authorization (and the consent page) as usual.
 */
@Named("smartLaunch")
@RequestScoped
public class SmartLaunchBean {

    @Inject
    DoctorBean doctor;

    @Inject
    SmartClients clients;

    @Inject
    Launches launches;

    @Inject
    SecurityContext security;

    private String app;

    /** The apps a practitioner may launch from a chart. */
    public List<SmartClient> getApps() {
        return clients.all().stream().filter(SmartClient::launchable).toList();
    }

    /**
     * Before the chart renders: its launch form may lead (through the portal's redirect) to the launch URLs of the
     * registered apps, and browsers hold a form's redirects to the page's {@code form-action}.
     */
    public void prepare() {
        String origins = getApps().stream().map(a -> URI.create(a.launchUri())).map(u -> u.getScheme() + "://" + u.getRawAuthority())
                .distinct().collect(Collectors.joining(" "));
        if (!origins.isEmpty()) {
            ((HttpServletResponse) external().getResponse()).setHeader("Content-Security-Policy",
                    SecurityHeadersFilter.CSP.replace("form-action 'self'", "form-action 'self' " + origins));
        }
    }

    public String getApp() {
        return app;
    }

    public void setApp(String app) {
        this.app = app;
    }

    /** Launches the chosen app with the opened chart's patient in context. */
    public void launch() throws IOException {
        if (!security.isCallerInRole(Role.PRACTITIONER.name()) || !doctor.isOpened()) {
            message("Open the patient's record first.");
            return;
        }
        SmartClient chosen = clients.find(app).filter(SmartClient::launchable).orElse(null);
        if (chosen == null) {
            message("Choose an app registered for launch from the record.");
            return;
        }
        String fhirBase = AuthorizeServlet.fhirBase((HttpServletRequest) external().getRequest());
        String id;
        try {
            id = launches.create(chosen, security.getCallerPrincipal().getName(), doctor.getPatientId());
        } catch (EhrException | org.ehrledger.web.smart.SmartTokens.OAuthError e) {
            message(e.getMessage());
            return;
        }
        external().redirect(Launches.launchUrl(chosen, fhirBase, id));
        FacesContext.getCurrentInstance().responseComplete();
    }

    private static void message(String text) {
        FacesContext.getCurrentInstance().addMessage(null, new FacesMessage(FacesMessage.SEVERITY_ERROR, text, null));
    }

    private static ExternalContext external() {
        return FacesContext.getCurrentInstance().getExternalContext();
    }
}

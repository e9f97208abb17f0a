package org.ehrledger.web.smart;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.RequestScoped;
import jakarta.faces.application.FacesMessage;
import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.security.enterprise.SecurityContext;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.ehrledger.ejb.domain.model.registry.Role;
import org.ehrledger.web.security.EhrAuthenticationMechanism;

/**
 * The consent page of SMART on FHIR ({@code /smart/consent.xhtml}): the signed-in person sees the app and what
 * it asks for, chooses the patient in context if they are a practitioner, and approves or denies. The buttons
 * are a JSF form (its server-side view state is the CSRF token); the page may not be framed.
 */
@Named("smartConsent")
@RequestScoped
public class ConsentBean {

    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self' ";

    @Inject
    SmartTokens tokens;

    @Inject
    SmartClients clients;

    @Inject
    SecurityContext security;

    private String patient;

    /** The request awaiting consent in this person's HTTP session. */
    private Optional<SmartTokens.Pending> pending() {
        return tokens.pending(pendingId());
    }

    private String pendingId() {
        String id = external().getRequestParameterMap().get(AuthorizeServlet.REQUEST_PARAMETER);
        return id != null && AuthorizeServlet.REQUEST_ID.matcher(id).matches() ? id : null;
    }

    /** The authorization request's id, carried by the form. */
    public String getRequest() {
        return pendingId();
    }

    /**
     * Before the page renders: someone not signed in goes to the sign-in page (and comes back); the form may post,
     * and then redirect, only here and to the app's redirect URI.
     */
    public void prepare() throws IOException {
        if (security.getCallerPrincipal() == null) {
            String id = pendingId();
            external().redirect(external().getRequestContextPath() + "/login.xhtml"
                    + (id == null ? "" : "?" + AuthorizeServlet.LOGIN_PARAMETER + "=" + id));
            FacesContext.getCurrentInstance().responseComplete();
            return;
        }
        pending().ifPresent(p -> {
            URI u = URI.create(p.redirectUri());
            String origin = u.getScheme() + "://" + u.getRawAuthority();
            ((HttpServletResponse) external().getResponse()).setHeader("Content-Security-Policy", CSP + origin);
        });
    }

    /** Whether there is a request to consent to. */
    public boolean isAwaiting() {
        return pending().isPresent();
    }

    /** The app's name. */
    public String getApp() {
        return pending().flatMap(p -> clients.find(p.clientId())).map(SmartClient::name).orElse("");
    }

    /** Where the answer goes. */
    public String getRedirect() {
        return pending().map(SmartTokens.Pending::redirectUri).orElse("");
    }

    /** What the app asks for, in words. */
    public List<String> getScopes() {
        List<String> out = new ArrayList<>();
        pending().ifPresent(p -> {
            Scopes s = granted(p.scopes());
            if (s.openid()) {
                String resource = isPractitioner() ? "Practitioner" : security.isCallerInRole(Role.PATIENT.name()) ? "Patient" : null;
                out.add("Know who you are: your user id" + (s.fhirUser() && resource != null
                        ? " and your " + resource + " resource (openid fhirUser)" : " (openid)"));
            }
            if (p.launch() != null) {
                out.add("Know the patient you had open: " + p.launch().patient() + " (launch)");
            } else if (s.launchPatient() || s.hasPatientScopes()) {
                out.add(isPractitioner() ? "Know which patient you chose below" : "Know who you are (your patient id)");
            }
            for (Scopes.Rule r : s.rules()) {
                String what = r.type().equals("*") ? "all records" : r.type() + " records";
                String whose = r.context() == Scopes.Context.PATIENT ? (isPractitioner() ? " of the chosen patient" : " of yours")
                        : " you may see";
                out.add(verbs(r.interactions()) + " " + what + whose + " (" + r.spelled() + ")");
            }
            if (s.offline()) {
                out.add("Keep access without you for up to 12 hours (offline_access), at this replica only");
            }
        });
        return out;
    }

    private static String verbs(String interactions) {
        List<String> v = new ArrayList<>();
        if (interactions.contains("r") || interactions.contains("s")) {
            v.add("read and search");
        }
        if (interactions.contains("c") || interactions.contains("u")) {
            v.add("add to");
        }
        if (interactions.contains("d")) {
            v.add("withdraw");
        }
        String s = String.join(", ", v);
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** Whether the person must choose the patient in context (a practitioner asked for one). */
    public boolean isChoosePatient() {
        return isPractitioner() && pending().map(p -> p.launch() == null && (p.scopes().launchPatient()
                || p.scopes().hasPatientScopes())).orElse(false);
    }

    private boolean isPractitioner() {
        return security.isCallerInRole(Role.PRACTITIONER.name());
    }

    /** What is granted to this person: patient-context scopes only for a patient or a practitioner. */
    private Scopes granted(Scopes asked) {
        boolean patientContext = security.isCallerInRole(Role.PATIENT.name()) || isPractitioner();
        return patientContext ? asked : asked.withoutPatientContext();
    }

    public String getPatient() {
        return patient;
    }

    public void setPatient(String patient) {
        this.patient = patient;
    }

    /** Approves: a code goes back to the app. */
    public void approve() throws IOException {
        Optional<SmartTokens.Pending> p = pending();
        if (security.getCallerPrincipal() == null) {
            message("Sign in first.");
            return;
        }
        if (p.isEmpty()) {
            message("This request has expired. Start again from the app.");
            return;
        }
        Scopes granted = granted(p.get().scopes());
        if (!granted.grantsAnything()) {
            message("This app asks only for a patient's records in a patient's or a practitioner's name; your account "
                    + "cannot give it anything.");
            return;
        }
        String context = null;
        if (security.isCallerInRole(Role.PATIENT.name()) && (granted.launchPatient() || granted.hasPatientScopes())) {
            context = security.getCallerPrincipal().getName();
        } else if (isChoosePatient()) {
            if (patient == null || !patient.strip().matches("[A-Za-z0-9\\-.]{1,64}")) {
                message("Enter the id of the patient the app is for.");
                return;
            }
            context = patient.strip();
        }
        HttpSession session = (HttpSession) external().getSession(false);
        String sessionToken = session == null ? null : (String) session.getAttribute(EhrAuthenticationMechanism.SESSION_TOKEN);
        String id = pendingId();
        String code;
        try {
            code = tokens.approve(id, security.getCallerPrincipal().getName(), sessionToken, granted, context);
        } catch (SmartTokens.OAuthError e) {
            // The request is spent: the app hears why (an EHR launch of another user, an expired request, a full table).
            external().redirect(AuthorizeServlet.back(p.get().redirectUri(), p.get().state(), e.error(), e.getMessage()));
            FacesContext.getCurrentInstance().responseComplete();
            return;
        } catch (org.ehrledger.ejb.application.EhrException e) {
            message(e.getMessage());
            return;
        }
        external().redirect(AuthorizeServlet.back(p.get().redirectUri(), p.get().state(), "code", code));
        FacesContext.getCurrentInstance().responseComplete();
    }

    /** Denies: the app is told {@code access_denied}. */
    public void deny() throws IOException {
        Optional<SmartTokens.Pending> p = pending();
        String id = pendingId();
        if (security.getCallerPrincipal() == null) {
            return;
        }
        tokens.deny(id);
        if (p.isEmpty()) {
            message("This request has expired. Start again from the app.");
            return;
        }
        external().redirect(AuthorizeServlet.back(p.get().redirectUri(), p.get().state(), "access_denied",
                "the person did not allow it"));
        FacesContext.getCurrentInstance().responseComplete();
    }

    private static void message(String text) {
        FacesContext.getCurrentInstance().addMessage(null, new FacesMessage(FacesMessage.SEVERITY_ERROR, text, null));
    }

    private static ExternalContext external() {
        return FacesContext.getCurrentInstance().getExternalContext();
    }
}

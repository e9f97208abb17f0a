package org.ehrledger.web.portal;

import org.ehrledger.web.smart.AuthorizeServlet;

import jakarta.enterprise.context.RequestScoped;
import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.SecurityContext;
import jakarta.security.enterprise.authentication.mechanism.http.AuthenticationParameters;
import jakarta.security.enterprise.credential.Password;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.web.security.LoginOutcome;

/** The login form: Jakarta Security form authentication through the application's mechanism. */
@Named("login")
@RequestScoped
public class LoginBean {

    @Inject
    SecurityContext security;

    @Inject
    LoginOutcome outcome;

    private String userId;
    private String password;

    public String getUserId() {
        return userId;
    }

    public void setUserId(String userId) {
        this.userId = userId;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    /** Signs in and goes to the person's home page, or says why not. */
    public String signIn() {
        FacesContext faces = FacesContext.getCurrentInstance();
        ExternalContext ec = faces.getExternalContext();
        String id = userId == null ? "" : userId.strip();
        char[] secret = password == null ? new char[0] : password.toCharArray();
        password = null;
        AuthenticationStatus status = security.authenticate((HttpServletRequest) ec.getRequest(),
                (HttpServletResponse) ec.getResponse(), AuthenticationParameters.withParams().newAuthentication(true)
                        .credential(new UsernamePasswordCredential(id, new Password(secret))));
        java.util.Arrays.fill(secret, '\0');
        switch (status) {
            case SUCCESS:
                // An app's authorization request brought them here: back to its consent page.
                String smart = ec.getRequestParameterMap().get(AuthorizeServlet.LOGIN_PARAMETER);
                if (smart != null && AuthorizeServlet.REQUEST_ID.matcher(smart).matches()) {
                    return AuthorizeServlet.CONSENT_PAGE + "?faces-redirect=true&" + AuthorizeServlet.REQUEST_PARAMETER + "=" + smart;
                }
                return "/index.xhtml?faces-redirect=true";
            case SEND_CONTINUE:
                faces.responseComplete();
                return null;
            default:
                Portal.error(outcome.failure() == null ? "Wrong user id or password." : outcome.failure());
                return null;
        }
    }
}

package org.ehrledger.web.portal;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** Where a visitor lands: the login page, or the home page of their role. */
@Named("home")
@RequestScoped
public class HomeBean {

    @Inject
    UserBean user;

    /** The landing page for the current visitor. */
    public String route() {
        if (!user.isSignedIn()) {
            return "/login.xhtml?faces-redirect=true";
        }
        if (user.isPatient()) {
            return "/patient/record.xhtml?faces-redirect=true";
        }
        if (user.isPractitioner()) {
            return "/doctor/patients.xhtml?faces-redirect=true";
        }
        if (user.isAdmin()) {
            return "/admin/staff.xhtml?faces-redirect=true";
        }
        return "/account.xhtml?faces-redirect=true";
    }
}

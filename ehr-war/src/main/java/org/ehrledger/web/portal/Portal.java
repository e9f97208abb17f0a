package org.ehrledger.web.portal;

import java.util.function.Supplier;

import jakarta.faces.application.FacesMessage;
import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;

import org.ehrledger.ejb.application.EhrException;

/** Messages and outcomes shared by the portal's beans. */
final class Portal {

    /** Request attribute the refusal page shows. */
    static final String REFUSAL = "ehr.refusal";

    private Portal() {
    }

    static ExternalContext external() {
        return FacesContext.getCurrentInstance().getExternalContext();
    }

    static void info(String message) {
        FacesContext.getCurrentInstance().addMessage(null, new FacesMessage(FacesMessage.SEVERITY_INFO, message, null));
    }

    static void error(String message) {
        FacesContext.getCurrentInstance().addMessage(null, new FacesMessage(FacesMessage.SEVERITY_ERROR, message, null));
    }

    /** Keeps messages across a redirect. */
    static void keepMessages() {
        external().getFlash().setKeepMessages(true);
    }

    /** Runs an action; a refusal becomes an error message on the page (and null). */
    static <T> T attempt(Supplier<T> action) {
        try {
            return action.get();
        } catch (EhrException e) {
            error(sentence(e.getMessage()));
            return null;
        }
    }

    /** Runs an action; true if it succeeded, else the refusal is on the page. */
    static boolean attempt(Runnable action) {
        return attempt(() -> {
            action.run();
            return Boolean.TRUE;
        }) != null;
    }

    /** Goes to the refusal page, which shows the reason, instead of the page asked for. */
    static String refuse(String reason) {
        external().getFlash().put(REFUSAL, sentence(reason));
        return "/refused.xhtml?faces-redirect=true";
    }

    /** A message as a sentence: capital first letter, final full stop. */
    static String sentence(String s) {
        if (s == null || s.isBlank()) {
            return "Something went wrong.";
        }
        String t = Character.toUpperCase(s.charAt(0)) + s.substring(1);
        return t.endsWith(".") || t.endsWith(")") ? t : t + ".";
    }
}

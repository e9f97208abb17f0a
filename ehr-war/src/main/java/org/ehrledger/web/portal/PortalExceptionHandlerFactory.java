package org.ehrledger.web.portal;

import java.util.Iterator;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.ejb.EJBAccessException;
import jakarta.faces.FacesException;
import jakarta.faces.application.ViewExpiredException;
import jakarta.faces.context.ExceptionHandler;
import jakarta.faces.context.ExceptionHandlerFactory;
import jakarta.faces.context.ExceptionHandlerWrapper;
import jakarta.faces.context.FacesContext;
import jakarta.faces.event.ExceptionQueuedEvent;

import org.ehrledger.ejb.application.EhrException;

/**
 * No stack trace ever reaches a page: an expired page is reloaded with a notice, a refused role or
 * refusal shows the refusal page, a typed error its message, anything else the error page (logged once).
 */
public class PortalExceptionHandlerFactory extends ExceptionHandlerFactory {

    private static final Logger LOG = Logger.getLogger(PortalExceptionHandlerFactory.class.getName());

    public PortalExceptionHandlerFactory(ExceptionHandlerFactory wrapped) {
        super(wrapped);
    }

    @Override
    public ExceptionHandler getExceptionHandler() {
        return new Handler(getWrapped().getExceptionHandler());
    }

    static final class Handler extends ExceptionHandlerWrapper {

        Handler(ExceptionHandler wrapped) {
            super(wrapped);
        }

        @Override
        public void handle() {
            FacesContext faces = FacesContext.getCurrentInstance();
            for (Iterator<ExceptionQueuedEvent> it = getUnhandledExceptionQueuedEvents().iterator(); it.hasNext();) {
                Throwable t = it.next().getContext().getException();
                it.remove();
                Throwable cause = root(t);
                try {
                    if (cause instanceof ViewExpiredException expired) {
                        Portal.error("The page had expired, so nothing was sent. Please try again.");
                        Portal.keepMessages();
                        String view = expired.getViewId() == null ? "/index.xhtml" : expired.getViewId();
                        faces.getExternalContext().redirect(faces.getExternalContext().getRequestContextPath() + view);
                    } else if (cause instanceof EJBAccessException) {
                        redirect(faces, Portal.refuse("your role does not allow this; the attempt was refused"));
                    } else if (cause instanceof EhrException e) {
                        redirect(faces, Portal.refuse(e.getMessage()));
                    } else {
                        LOG.log(Level.WARNING, "portal request failed: " + cause, cause);
                        faces.getExternalContext().redirect(faces.getExternalContext().getRequestContextPath() + "/error.xhtml");
                    }
                    faces.responseComplete();
                } catch (java.io.IOException | RuntimeException e) {
                    throw new FacesException(e);
                }
                return;
            }
            getWrapped().handle();
        }

        private static void redirect(FacesContext faces, String outcome) throws java.io.IOException {
            String view = outcome.substring(0, outcome.indexOf('?'));
            faces.getExternalContext().redirect(faces.getExternalContext().getRequestContextPath() + view);
        }

        private static Throwable root(Throwable t) {
            Throwable c = t;
            while ((c instanceof FacesException || c instanceof jakarta.el.ELException
                    || c instanceof jakarta.ejb.EJBException) && c.getCause() != null) {
                c = c.getCause();
            }
            return c;
        }
    }
}

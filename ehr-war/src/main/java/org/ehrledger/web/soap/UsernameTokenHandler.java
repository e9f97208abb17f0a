package org.ehrledger.web.soap;

import java.util.Iterator;
import java.util.Set;

import javax.xml.namespace.QName;

import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.xml.soap.Detail;
import jakarta.xml.soap.SOAPElement;
import jakarta.xml.soap.SOAPException;
import jakarta.xml.soap.SOAPFactory;
import jakarta.xml.soap.SOAPFault;
import jakarta.xml.soap.SOAPHeader;
import jakarta.xml.ws.handler.MessageContext;
import jakarta.xml.ws.handler.soap.SOAPHandler;
import jakarta.xml.ws.handler.soap.SOAPMessageContext;
import jakarta.xml.ws.soap.SOAPFaultException;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.web.security.SoapAuthenticator;

/**
 * WS-Security UsernameToken (OASIS WSS 1.1, Username Token Profile, {@code PasswordText}): the
 * {@code wsse:Security} header of every request names a billing account and its password. They are checked
 * like a sign-in (the password opens the account's keys) and the caller becomes the container's
 * principal for the call, so the session bean's {@code @RolesAllowed} applies. A missing or wrong token is
 * the standard {@code wsse:FailedAuthentication} fault. Send it over TLS outside a local test network.
 */
public class UsernameTokenHandler implements SOAPHandler<SOAPMessageContext> {

    /** The WS-Security 1.0 extension namespace. */
    public static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    private static final String PASSWORD_TEXT =
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
    private static final QName SECURITY = new QName(WSSE, "Security");

    @Override
    public Set<QName> getHeaders() {
        return Set.of(SECURITY); // understood here, so mustUnderstand="1" is honoured
    }

    @Override
    public boolean handleMessage(SOAPMessageContext context) {
        if (Boolean.TRUE.equals(context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY))) {
            return true;
        }
        String[] credentials = usernameToken(context);
        if (credentials == null) {
            throw failed("a wsse:Security header with a wsse:UsernameToken (PasswordText) is required");
        }
        String problem = CDI.current().select(SoapAuthenticator.class).get().authenticate(credentials[0],
                credentials[1].toCharArray(), (HttpServletRequest) context.get(MessageContext.SERVLET_REQUEST),
                (HttpServletResponse) context.get(MessageContext.SERVLET_RESPONSE));
        if (problem != null) {
            throw failed(problem);
        }
        return true;
    }

    private static String[] usernameToken(SOAPMessageContext context) {
        try {
            SOAPHeader header = context.getMessage().getSOAPHeader();
            if (header == null) {
                return null;
            }
            SOAPElement token = child(child(header, SECURITY), new QName(WSSE, "UsernameToken"));
            SOAPElement user = child(token, new QName(WSSE, "Username"));
            SOAPElement password = child(token, new QName(WSSE, "Password"));
            if (user == null || password == null) {
                return null;
            }
            String type = password.getAttribute("Type");
            if (type != null && !type.isEmpty() && !type.equals(PASSWORD_TEXT)) {
                return null;
            }
            return new String[] {user.getTextContent().strip(), password.getTextContent()};
        } catch (SOAPException e) {
            return null;
        }
    }

    private static SOAPElement child(SOAPElement parent, QName name) {
        if (parent == null) {
            return null;
        }
        Iterator<?> it = parent.getChildElements(name);
        return it.hasNext() ? (SOAPElement) it.next() : null;
    }

    private static SOAPFaultException failed(String why) {
        try {
            SOAPFault fault = SOAPFactory.newInstance().createFault("The security token could not be authenticated or "
                    + "authorized: " + why, new QName(WSSE, "FailedAuthentication", "wsse"));
            return new SOAPFaultException(fault);
        } catch (SOAPException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Faults of the SOAP runtime itself (a body that does not match the WSDL, a missing element) would carry
     * the runtime's exception text: they become the coded {@link BillingFault} {@code INVALID_INPUT}.
     * Billing faults and the WS-Security fault pass unchanged.
     */
    @Override
    public boolean handleFault(SOAPMessageContext context) {
        try {
            SOAPFault fault = context.getMessage().getSOAPBody().getFault();
            if (fault == null || WSSE.equals(fault.getFaultCodeAsQName().getNamespaceURI())) {
                return true;
            }
            Detail detail = fault.getDetail();
            if (detail != null && detail.getChildElements(new QName(BillingEndpoint.NS, "BillingFault")).hasNext()) {
                return true;
            }
            String why = "the request does not match the billing service's WSDL (" + BillingEndpoint.NS + ")";
            fault.setFaultString(why);
            if (detail != null) {
                detail.detachNode();
            }
            SOAPElement info = fault.addDetail().addChildElement(new QName(BillingEndpoint.NS, "BillingFault", "b"));
            info.addChildElement(new QName(BillingEndpoint.NS, "code", "b")).addTextNode(ErrorCode.INVALID_INPUT.name());
            info.addChildElement(new QName(BillingEndpoint.NS, "message", "b")).addTextNode(why);
            context.getMessage().saveChanges();
        } catch (SOAPException | RuntimeException e) {
            // the fault stays as the runtime made it; nothing else can be done while answering
        }
        return true;
    }

    @Override
    public void close(MessageContext context) {
        // nothing held
    }
}

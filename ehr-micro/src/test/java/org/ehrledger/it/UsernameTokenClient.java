package org.ehrledger.it;

import java.net.URL;
import java.util.List;
import java.util.Set;

import javax.xml.namespace.QName;

import jakarta.xml.soap.SOAPElement;
import jakarta.xml.soap.SOAPEnvelope;
import jakarta.xml.soap.SOAPException;
import jakarta.xml.soap.SOAPHeader;
import jakarta.xml.ws.BindingProvider;
import jakarta.xml.ws.handler.Handler;
import jakarta.xml.ws.handler.MessageContext;
import jakarta.xml.ws.handler.soap.SOAPHandler;
import jakarta.xml.ws.handler.soap.SOAPMessageContext;

import org.ehrledger.it.billing.Billing;
import org.ehrledger.it.billing.BillingService;

/** A billing system's SOAP client: the port generated from the WSDL at build time, with a WS-Security UsernameToken. */
final class UsernameTokenClient implements SOAPHandler<SOAPMessageContext> {

    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    private final String user;
    private final String password;

    private UsernameTokenClient(String user, String password) {
        this.user = user;
        this.password = password;
    }

    /** A port bound to the WSDL a replica serves; with a UsernameToken unless {@code user} is null. */
    static Billing port(String wsdlUrl, String user, String password) throws Exception {
        Billing port = new BillingService(new URL(wsdlUrl)).getBillingPort();
        if (user != null) {
            @SuppressWarnings("rawtypes")
            List<Handler> chain = List.of(new UsernameTokenClient(user, password));
            ((BindingProvider) port).getBinding().setHandlerChain(chain);
        }
        return port;
    }

    @Override
    public boolean handleMessage(SOAPMessageContext context) {
        if (!Boolean.TRUE.equals(context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY))) {
            return true;
        }
        try {
            SOAPEnvelope envelope = context.getMessage().getSOAPPart().getEnvelope();
            SOAPHeader header = envelope.getHeader() != null ? envelope.getHeader() : envelope.addHeader();
            SOAPElement security = header.addChildElement("Security", "wsse", WSSE);
            security.addAttribute(new QName(envelope.getNamespaceURI(), "mustUnderstand", envelope.getPrefix()), "1");
            SOAPElement token = security.addChildElement("UsernameToken", "wsse");
            token.addChildElement("Username", "wsse").addTextNode(user);
            token.addChildElement("Password", "wsse").setAttribute("Type",
                    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText");
            ((SOAPElement) token.getChildElements(new QName(WSSE, "Password")).next()).addTextNode(password);
            return true;
        } catch (SOAPException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Set<QName> getHeaders() {
        return Set.of();
    }

    @Override
    public boolean handleFault(SOAPMessageContext context) {
        return true;
    }

    @Override
    public void close(MessageContext context) {
    }
}

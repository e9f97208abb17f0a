package org.ehrledger.web.soap;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlType;
import jakarta.xml.ws.WebFault;

import org.ehrledger.ejb.application.ErrorCode;

/** The typed fault of every billing operation: a stable code (the JSON API's) and what to do next. */
@WebFault(name = "BillingFault", targetNamespace = BillingEndpoint.NS)
public class BillingFault extends Exception {

    private static final long serialVersionUID = 1L;
    private final Info faultInfo;

    /** The fault detail. */
    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(name = "BillingFaultInfo", propOrder = {"code", "message"})
    public static class Info {
        /** INVALID_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, REFUSED, BUSY, COMMIT_TIMEOUT, INTERNAL ... */
        @XmlElement(required = true)
        public String code;
        @XmlElement(required = true)
        public String message;

        public Info() {
        }

        Info(String code, String message) {
            this.code = code;
            this.message = message;
        }
    }

    public BillingFault(String message, Info faultInfo) {
        super(message);
        this.faultInfo = faultInfo;
    }

    BillingFault(ErrorCode code, String message) {
        this(message, new Info(code.name(), message));
    }

    public Info getFaultInfo() {
        return faultInfo;
    }
}

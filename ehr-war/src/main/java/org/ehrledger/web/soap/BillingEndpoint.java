package org.ehrledger.web.soap;

import java.util.List;

import jakarta.jws.HandlerChain;
import jakarta.jws.WebMethod;
import jakarta.jws.WebParam;
import jakarta.jws.WebResult;
import jakarta.jws.WebService;

/**
 * The billing service: {@code http://<replica>/soap/billing?wsdl}. Callers authenticate with a WS-Security
 * UsernameToken ({@link UsernameTokenHandler}) of a billing account; the session bean checks the role and
 * the contracts the patient's billing consent. Every error is a {@link BillingFault} with a stable code.
 * The operations are carried out by {@link BillingOperations}; this class declares only the contract, so
 * that the WSDL can be generated from it at build time without the application's other modules.
 */
@WebService(serviceName = "BillingService", portName = "BillingPort", name = "Billing", targetNamespace = BillingEndpoint.NS)
@HandlerChain(file = "billing-handlers.xml")
public class BillingEndpoint {

    /** The service's XML namespace. */
    public static final String NS = "urn:ehr-ledger:billing:1";

    /**
     * The patient's billable events (prescriptions, encounters, procedures, claims) recorded from {@code from} to
     * {@code to} inclusive (ISO dates), under the patient's billing consent; each read is audited on chain.
     */
    @WebMethod(operationName = "ListBillableEvents")
    @WebResult(name = "event", targetNamespace = NS)
    public List<BillableEvent> listBillableEvents(@WebParam(name = "patientId", targetNamespace = NS) String patientId,
                                                  @WebParam(name = "from", targetNamespace = NS) String from,
                                                  @WebParam(name = "to", targetNamespace = NS) String to)
            throws BillingFault {
        return BillingOperations.list(patientId, from, to);
    }

    /** Acknowledges an event as billed with the billing system's invoice reference: committed on chain, once. */
    @WebMethod(operationName = "AcknowledgeBilled")
    @WebResult(name = "acknowledgement", targetNamespace = NS)
    public Acknowledgement acknowledgeBilled(@WebParam(name = "recordId", targetNamespace = NS) String recordId,
                                             @WebParam(name = "invoice", targetNamespace = NS) String invoice) throws BillingFault {
        return BillingOperations.acknowledge(recordId, invoice);
    }
}

package org.ehrledger.web.soap;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlType;

/** A billable event as the WSDL describes it. */
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "BillableEvent", propOrder = {"recordId", "kind", "code", "description", "recordedAt", "practitioner",
        "organisation", "billed", "invoice"})
public class BillableEvent {

    /** The record on the ledger. */
    @XmlElement(required = true)
    public String recordId;
    /** PRESCRIPTION, ENCOUNTER, PROCEDURE or BILLING (a claim or explanation of benefit). */
    @XmlElement(required = true)
    public String kind;
    /** The billing code recorded by the practitioner, or the item's name. */
    @XmlElement(required = true)
    public String code;
    @XmlElement(required = true)
    public String description;
    /** ISO-8601 instant. */
    @XmlElement(required = true)
    public String recordedAt;
    @XmlElement(required = true)
    public String practitioner;
    @XmlElement(required = true)
    public String organisation;
    public boolean billed;
    /** The invoice reference, when billed. */
    public String invoice;
}

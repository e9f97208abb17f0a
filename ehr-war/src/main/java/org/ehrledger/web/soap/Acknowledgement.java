package org.ehrledger.web.soap;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlType;

/** A billing acknowledgement as committed on the ledger. */
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "Acknowledgement", propOrder = {"recordId", "invoice", "transactionId", "blockHeight", "transactionIndex",
        "blockHash"})
public class Acknowledgement {

    @XmlElement(required = true)
    public String recordId;
    @XmlElement(required = true)
    public String invoice;
    @XmlElement(required = true)
    public String transactionId;
    public long blockHeight;
    public int transactionIndex;
    public String blockHash;
}

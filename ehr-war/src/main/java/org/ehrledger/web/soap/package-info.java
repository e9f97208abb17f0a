/**
 * The SOAP billing service for billing systems: WS-Security UsernameToken authentication, the same
 * session beans and contracts as the portal and the JSON API, typed faults, and XML that may not carry
 * document type declarations (no external entities, no entity expansion).
 */
@XmlSchema(namespace = BillingEndpoint.NS, elementFormDefault = XmlNsForm.QUALIFIED)
package org.ehrledger.web.soap;

import jakarta.xml.bind.annotation.XmlNsForm;
import jakarta.xml.bind.annotation.XmlSchema;

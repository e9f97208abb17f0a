/**
 * Everything a person or another system touches: the JSF portal, the JSON and FHIR APIs and the
 * SOAP billing endpoint. Thin by design: it calls the session beans of {@code ehr-ejb}, never JPA.
 */
package org.ehrledger.web;

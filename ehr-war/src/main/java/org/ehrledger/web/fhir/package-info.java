/**
 * The HL7 FHIR R4 facade ({@code /fhir/r4}). {@link org.ehrledger.web.fhir.FhirEndpoint} takes each
 * interaction and hands it to the family of its resource type: {@code Patients} (with {@code $everything}),
 * {@code Records} (every type a patient's record holds, {@code RecordTypes}, with Provenance),
 * {@code Consents} (with AuditEvent), the {@code Directory} (Practitioner, Organization) and
 * {@code Transactions}; {@code Search} parses parameters and pages results. {@code Resources} and
 * {@code StoredResources} map records to resources and back; {@code Fhir} holds the context, the parsers
 * and the offline validator; {@code FhirProviders} the body readers, writers and OperationOutcome mappers.
 */
package org.ehrledger.web.fhir;

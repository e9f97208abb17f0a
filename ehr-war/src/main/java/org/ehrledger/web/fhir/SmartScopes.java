package org.ehrledger.web.fhir;

import java.util.List;

import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.PathSegment;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;

import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.Ids;
import org.ehrledger.web.smart.Scopes;
import org.ehrledger.web.smart.SmartTokens;

/**
 * What an app's SMART access token may do on the facade, checked before the request reaches the session beans
 * (which then check, and audit, what the person may do, as for any request): the interaction
 * ({@code r}ead, {@code s}earch, {@code c}reate, {@code u}pdate, {@code d}elete) on the resource type must be
 * in a granted scope, and where only {@code patient/} scopes grant it, the request must be about the patient in
 * context: a search names that patient, an operation is on that patient, and a resource read by id must be in
 * that patient's compartment (checked on the answer, before anything is sent). Requests without an app's token
 * are not touched.
 */
@Priority(Priorities.AUTHORIZATION)
public class SmartScopes implements ContainerRequestFilter, ContainerResponseFilter {

    private static final String CHECK_COMPARTMENT = "ehr.smart.compartment";

    @Context
    HttpServletRequest servlet;

    @Override
    public void filter(ContainerRequestContext request) {
        if (!(servlet.getAttribute(SmartTokens.GRANT_ATTRIBUTE) instanceof SmartTokens.Grant grant)) {
            return;
        }
        List<String> path = request.getUriInfo().getPathSegments().stream().map(PathSegment::getPath)
                .filter(s -> !s.isEmpty()).toList();
        Need need = need(request.getMethod(), path, request.getUriInfo().getQueryParameters());
        if (need == null) {
            return;
        }
        Scopes scopes = grant.scopes();
        if (!scopes.permits(need.type, need.interaction)) {
            throw refused("the app's scopes (" + scopes.spelled() + ") do not allow " + need.describe());
        }
        // What a search includes is read too: each included type needs a scope of its own.
        MultivaluedMap<String, String> query = request.getUriInfo().getQueryParameters();
        for (String type : includedTypes(query)) {
            if (!scopes.permits(type, Scopes.SEARCH)) {
                throw refused("the app's scopes (" + scopes.spelled() + ") do not allow including " + type);
            }
        }
        if (!scopes.onlyInPatientContext(need.type, need.interaction)) {
            return;
        }
        String patient = grant.patient();
        if (patient == null) {
            throw refused("the app's patient/ scopes need a patient in context (launch/patient)");
        }
        if (need.interaction == Scopes.CREATE || need.interaction == Scopes.UPDATE || need.interaction == Scopes.DELETE) {
            if (!grant.userId().equals(patient)) {
                throw refused("with patient/ scopes, only the patient themselves writes through an app; a practitioner's app "
                        + "writes with user/ scopes");
            }
            return;
        }
        if (need.about != null) {
            if (!need.about.equals(patient)) {
                throw refused("the app's patient/ scopes are for patient " + patient + " only");
            }
        } else if (need.interaction == Scopes.READ) {
            request.setProperty(CHECK_COMPARTMENT, patient);
        } else {
            throw refused("with patient/ scopes, a search names the patient in context (patient=" + patient + ")");
        }
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (!(request.getProperty(CHECK_COMPARTMENT) instanceof String patient) || response.getStatus() != 200
                || !(response.getEntity() instanceof IBaseResource resource)) {
            return;
        }
        boolean inCompartment = resource instanceof Patient p ? patient.equals(p.getIdElement().getIdPart())
                : Fhir.context().newTerser().isSourceInCompartmentForTarget("Patient", resource, new IdType("Patient", patient));
        if (!inCompartment) {
            FhirException e = refused("the app's patient/ scopes are for patient " + patient + " only");
            FhirProviders.audit(403, request.getSecurityContext(), request.getUriInfo(), null, e.getMessage());
            response.setStatus(403);
            response.setEntity(e.outcome(), response.getEntityAnnotations(), response.getMediaType());
        }
    }

    /** What a request needs: an interaction on a type, and the patient it is about if the URL says so. */
    record Need(String type, char interaction, String about) {
        String describe() {
            String verb = switch (interaction) {
                case Scopes.READ -> "reading";
                case Scopes.SEARCH -> "searching";
                case Scopes.CREATE -> "creating";
                case Scopes.UPDATE -> "updating";
                default -> "deleting";
            };
            return verb + " " + (type.equals("*") ? "every type" : type);
        }
    }

    /** What {@link Need#about} is for a request about several patients (never the one in context). */
    private static final String SEVERAL = "(several)";

    /** The need of a request to the facade, or null for one any token may make (capabilities, its own export files). */
    static Need need(String method, List<String> path, MultivaluedMap<String, String> query) {
        if (path.isEmpty()) {
            return method.equals("POST") ? new Need("*", Scopes.CREATE, null) : null;
        }
        String first = path.get(0);
        if (first.equals("metadata") || first.equals(".well-known") || first.equals(FhirEndpoint.EXPORTS)) {
            return null;
        }
        if (first.equals("Group") && path.size() >= 2 && !Ids.RECORD_ID.matcher(path.get(1)).matches()) {
            // An organisation's group is about many patients: patient/ scopes never reach it.
            return new Need(path.size() == 2 ? "Group" : "*", Scopes.READ, SEVERAL);
        }
        if (path.size() == 3 && path.get(2).equals("$import")) {
            return new Need("*", Scopes.CREATE, path.get(1));
        }
        if (path.size() >= 2 && path.get(path.size() - 1).equals("$export")) {
            String about = path.size() == 3 ? path.get(1) : single(query.get("patient"));
            return new Need("*", Scopes.READ, about);
        }
        if (path.size() == 3 && path.get(2).equals("$everything")) {
            return new Need("*", Scopes.READ, path.get(1));
        }
        return switch (method) {
            case "GET" -> path.size() == 1
                    ? new Need(first, Scopes.SEARCH, first.equals("Patient") ? single(query.get("_id")) : single(patientParam(query)))
                    : new Need(first, Scopes.READ, first.equals("Patient") ? path.get(1) : null);
            case "POST" -> new Need(first, Scopes.CREATE, null);
            case "PUT", "PATCH" -> new Need(first, Scopes.UPDATE, null);
            case "DELETE" -> new Need(first, Scopes.DELETE, null);
            default -> new Need(first, Scopes.READ, null);
        };
    }

    /** The types a search's {@code _include} and {@code _revinclude} would add. */
    static java.util.Set<String> includedTypes(MultivaluedMap<String, String> query) {
        java.util.Set<String> types = new java.util.TreeSet<>();
        if (query.containsKey("_include") || query.containsKey("_revinclude")) {
            Includes.parse(query.get("_include")).forEach(s -> types.addAll(s.targets()));
            Includes.parse(query.get("_revinclude")).forEach(s -> types.add(s.source()));
        }
        return types;
    }

    private static List<String> patientParam(MultivaluedMap<String, String> query) {
        return query.containsKey("patient") ? query.get("patient") : query.get("subject");
    }

    /** The one patient a parameter names ({@code id} or {@code Patient/id}), or null if none or several. */
    private static String single(List<String> values) {
        if (values == null || values.size() != 1 || values.get(0).contains(",")) {
            return values == null ? null : SEVERAL;
        }
        String v = values.get(0);
        return v.startsWith("Patient/") ? v.substring("Patient/".length()) : v;
    }

    private static FhirException refused(String why) {
        return new FhirException(403, OperationOutcome.IssueType.FORBIDDEN, ErrorCode.FORBIDDEN, why);
    }
}

package org.ehrledger.web.fhir;

import java.net.URI;
import java.security.Principal;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;

import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.application.service.PatientService;
import org.ehrledger.ejb.application.service.PractitionerService;
import org.ehrledger.ejb.application.service.RecordService;
import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * One FHIR request as the resource families see it: who calls, the URL and headers, and the session beans
 * that do the work. Built by {@link FhirEndpoint} for each request.
 */
record FhirRequest(SecurityContext security, UriInfo uri, HttpHeaders headers, PatientService patients,
                   PractitionerService practitioners, RecordService records, NetworkService network) {

    /** The header carrying a practitioner's reason for reading. */
    static final String REASON_HEADER = "X-Access-Reason";
    /** The reason recorded when a practitioner states none. */
    static final String DEFAULT_REASON = "Treatment (FHIR R4 API)";

    /** Whether the caller has this role. */
    boolean is(Role role) {
        return security.isUserInRole(role.name());
    }

    /** The caller's user id (or patient id). */
    String caller() {
        return security.getUserPrincipal().getName();
    }

    /** Whether the caller is this patient. */
    boolean isSelf(String patientId) {
        return security.getUserPrincipal() != null && caller().equals(patientId);
    }

    /** The facade's base URL, without a trailing slash. */
    String base() {
        String b = uri.getBaseUri().toString();
        return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    /** The practitioner's stated reason for reading, or the default. */
    String reason() {
        String reason = headers.getHeaderString(REASON_HEADER);
        return reason == null || reason.isBlank() ? DEFAULT_REASON : reason;
    }

    /** Only patients see and manage {@code what} (their own). */
    void requirePatient(String what) {
        if (!is(Role.PATIENT)) {
            throw FhirException.forbidden("only the patient sees and manages " + what);
        }
    }

    /** A read the contracts refused (recorded on chain) is a 403 here. */
    static <T> T refusedAsForbidden(Supplier<T> read) {
        try {
            return read.get();
        } catch (EhrException e) {
            throw e.code() == ErrorCode.REFUSED ? FhirException.forbidden(e.getMessage()) : e;
        }
    }

    /**
     * This request as a background task may use it after the request has ended: the same caller, roles and
     * stated reason, without the URL (the task builds no links from it). The container's own identity of the
     * caller reaches the session beans through the managed executor the task runs on.
     */
    FhirRequest detached() {
        Principal who = security.getUserPrincipal();
        Set<String> roles = new HashSet<>();
        for (Role role : Role.values()) {
            if (is(role)) {
                roles.add(role.name());
            }
        }
        SecurityContext fixed = fixed(who, roles::contains, security.getAuthenticationScheme());
        return new FhirRequest(fixed, null, new StatedReason(reason()), patients, practitioners, records, network);
    }

    /** A caller that stays as it is: this principal, with the roles {@code inRole} admits. */
    static SecurityContext fixed(Principal who, java.util.function.Predicate<String> inRole, String scheme) {
        return new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return who;
            }

            @Override
            public boolean isUserInRole(String role) {
                return inRole.test(role);
            }

            @Override
            public boolean isSecure() {
                return true;
            }

            @Override
            public String getAuthenticationScheme() {
                return scheme;
            }
        };
    }

    /** The headers of a detached request: only the practitioner's stated reason. */
    record StatedReason(String reason) implements HttpHeaders {
        @Override
        public List<String> getRequestHeader(String name) {
            String v = getHeaderString(name);
            return v == null ? List.of() : List.of(v);
        }

        @Override
        public String getHeaderString(String name) {
            return REASON_HEADER.equalsIgnoreCase(name) ? reason : null;
        }

        @Override
        public MultivaluedMap<String, String> getRequestHeaders() {
            MultivaluedHashMap<String, String> m = new MultivaluedHashMap<>();
            m.putSingle(REASON_HEADER, reason);
            return m;
        }

        @Override
        public List<MediaType> getAcceptableMediaTypes() {
            return List.of(MediaType.WILDCARD_TYPE);
        }

        @Override
        public List<Locale> getAcceptableLanguages() {
            return List.of();
        }

        @Override
        public MediaType getMediaType() {
            return null;
        }

        @Override
        public Locale getLanguage() {
            return null;
        }

        @Override
        public Map<String, Cookie> getCookies() {
            return Map.of();
        }

        @Override
        public Date getDate() {
            return null;
        }

        @Override
        public int getLength() {
            return -1;
        }
    }

    /** 201 Created with the resource, its location, version and the block it was committed in. */
    Response created(Resource r, long height) {
        return created(r, height, List.of());
    }

    /**
     * 201 Created: its location, version and block, and as the body the resource or, when the sender prefers
     * ({@code Prefer: return=OperationOutcome}), an OperationOutcome with the validator's warnings.
     */
    Response created(Resource r, long height, List<SingleValidationMessage> warnings) {
        String path = r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart();
        String prefer = headers.getHeaderString("Prefer");
        Object body = prefer != null && prefer.replace(" ", "").contains("return=OperationOutcome")
                ? Outcomes.created(path, warnings) : r;
        return Response.created(URI.create(base() + "/" + path + "/_history/1")).entity(body).tag(new EntityTag("1", true))
                .lastModified(r.getMeta().getLastUpdated()).header("X-Ledger-Block", height).build();
    }
}

package org.ehrledger.web.api;

import java.util.Set;

import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The JSON API. Its OpenAPI document is generated from these classes at build time and served as a static
 * file at {@code /openapi} ({@link OpenApiDocumentFilter}).
 */
@ApplicationPath("/api/v1")
@DeclareRoles({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
public class ApiApplication extends Application {

    /** Listed, so that the FHIR facade's resources and providers stay out of the JSON API (and these out of it). */
    @Override
    public Set<Class<?>> getClasses() {
        return Set.of(SessionResource.class, AccountResource.class, PatientsResource.class, PeopleResource.class,
                IdentityResource.class, NetworkResource.class, SmartClientsResource.class, Idempotency.class, BodyLimit.class, ExceptionMappers.Ehr.class,
                ExceptionMappers.Access.class, ExceptionMappers.Ejb.class, ExceptionMappers.Web.class,
                ExceptionMappers.Json.class, ExceptionMappers.Unreadable.class, ExceptionMappers.Fallback.class);
    }
}

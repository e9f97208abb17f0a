package org.ehrledger.web.api;

import java.util.Set;

import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** The JSON API; its OpenAPI document is served at {@code /openapi}. */
@ApplicationPath("/api/v1")
@DeclareRoles({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
@OpenAPIDefinition(info = @Info(title = "EHR Ledger JSON API", version = "1",
        description = "Patients, practitioners, records, prescriptions, consents, the access log, break-glass and "
                + "emergency access, blocks, receipts and cluster status of one EHR Ledger replica. Every write answers "
                + "with its committed receipt (block, transaction index, Merkle proof, commit certificate) or an "
                + "application/problem+json error with a stable code. Send Idempotency-Key on writes to make retries safe."),
        security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "The token from POST /api/v1/sessions (user id and password of a person or an integration account)")
public class ApiApplication extends Application {

    /** Listed, so that the FHIR facade's resources and providers stay out of the JSON API (and these out of it). */
    @Override
    public Set<Class<?>> getClasses() {
        return Set.of(SessionResource.class, AccountResource.class, PatientsResource.class, PeopleResource.class,
                IdentityResource.class, NetworkResource.class, ReplicationResource.class, Idempotency.class, BodyLimit.class, ExceptionMappers.Ehr.class,
                ExceptionMappers.Access.class, ExceptionMappers.Ejb.class, ExceptionMappers.Web.class,
                ExceptionMappers.Json.class, ExceptionMappers.Unreadable.class, ExceptionMappers.Fallback.class);
    }
}

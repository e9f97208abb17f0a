package org.ehrledger.web.fhir;

import java.util.HashSet;
import java.util.Set;

import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The HL7 FHIR R4 facade at {@code /fhir/r4}. Its classes are listed, so that the JSON API's resources and
 * problem-details mappers stay out of it (and the facade's out of the JSON API).
 */
@ApplicationPath(FhirApplication.PATH)
@DeclareRoles({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
public class FhirApplication extends Application {

    /** Where the facade is, under the application's context root. */
    public static final String PATH = "/fhir/r4";

    @Override
    public Set<Class<?>> getClasses() {
        Set<Class<?>> classes = new HashSet<>(FhirProviders.all());
        classes.add(FhirEndpoint.class);
        return classes;
    }
}

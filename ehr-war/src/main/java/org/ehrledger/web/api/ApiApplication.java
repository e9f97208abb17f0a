package org.ehrledger.web.api;

import jakarta.annotation.security.DeclareRoles;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The JSON API. */
@ApplicationPath("/api/v1")
@DeclareRoles({"ADMIN", "PRACTITIONER", "BILLING", "PATIENT"})
public class ApiApplication extends Application {
}

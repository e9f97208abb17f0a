package org.ehrledger.web.smart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.ehrledger.ejb.application.EhrException;

class SmartClientsTest {

    @TempDir
    Path dir;

    private SmartClients at(Path file) {
        SmartClients c = new SmartClients();
        c.load(file);
        return c;
    }

    @Test
    void registrationsAreKeptAcrossARestartAndRemovalsToo() {
        Path file = dir.resolve("smart/clients.json");
        SmartClients before = at(file);
        SmartClient app = before.register("Vitals", List.of("https://vitals.example.org/cb"), null, null,
                "launch/patient patient/*.read system/*.read", null, "admin");
        assertEquals("launch/patient patient/*.rs", app.scope(), "a person's app gets no system scopes");
        SmartClients after = at(file);
        assertEquals(app, after.find(app.clientId()).orElseThrow());
        assertTrue(after.remove(app.clientId()));
        assertTrue(at(file).find(app.clientId()).isEmpty());
    }

    private static String jwks() throws Exception {
        return new com.nimbusds.jose.jwk.JWKSet(new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384)
                .keyID("k1").generate().toPublicJWK()).toString();
    }

    @Test
    void anAppLaunchedFromTheEhrKeepsItsCheckedLaunchUrlAndOpenidScopes() throws Exception {
        Path file = dir.resolve("smart/clients.json");
        SmartClients c = at(file);
        assertThrows(EhrException.class, () -> c.register("Chart", List.of("https://chart.example.org/cb"), null, null,
                "launch patient/*.read", "http://chart.example.org/launch", "admin"), "https or loopback only");
        SmartClient app = c.register("Chart", List.of("https://chart.example.org/cb"), null, null,
                "launch openid fhirUser patient/*.read", "https://chart.example.org/launch", "admin");
        assertEquals("openid fhirUser launch patient/*.rs", app.scope());
        assertTrue(app.launchable());
        assertEquals(app, at(file).find(app.clientId()).orElseThrow(), "the launch URL is kept across a restart");
        assertEquals("https://chart.example.org/launch", SmartClients.toJson(app).getString("launchUri"));
        SmartClient backend = c.register("Export", List.of(), jwks(), "dr-a", "openid launch system/*.read", null, "admin");
        assertEquals("system/*.rs", backend.scope(), "a backend service is never given person scopes");
    }

    @Test
    void redirectUrisAreHttpsOrLoopbackAbsoluteWithoutFragment() {
        SmartClients c = at(dir.resolve("c.json"));
        for (String bad : List.of("http://vitals.example.org/cb", "https://vitals.example.org/cb#x", "/cb", "vitals://cb")) {
            assertThrows(EhrException.class, () -> c.register("V", List.of(bad), null, null, "patient/*.read", null, "admin"), bad);
        }
        c.register("V", List.of("http://127.0.0.1:9/cb", "https://v.example.org/cb?x=1"), null, null, "patient/*.read", null, "admin");
    }

    @Test
    void aBackendServiceNeedsKeysAndSystemScopesAndNoRedirects() {
        SmartClients c = at(dir.resolve("c.json"));
        assertThrows(EhrException.class, () -> c.register("S", List.of(), null, "dr-a", "system/*.read", null, "admin"));
        assertThrows(EhrException.class, () -> c.register("S", List.of("https://s.example.org/cb"), "{}", "dr-a", "system/*.read",
                null, "admin"));
        assertThrows(EhrException.class, () -> c.register("S", List.of(), null, null, "system/*.read", null, "admin"));
    }

    @Test
    void atMostTwoHundredAppsAreRegistered() {
        SmartClients c = at(dir.resolve("c.json"));
        for (int i = 0; i < SmartClients.MAX_CLIENTS; i++) {
            c.register("App " + i, List.of("https://a.example.org/cb"), null, null, "patient/*.read", null, "admin");
        }
        EhrException full = assertThrows(EhrException.class,
                () -> c.register("One more", List.of("https://a.example.org/cb"), null, null, "patient/*.read", null, "admin"));
        assertFalse(full.getMessage().isEmpty());
    }

    @Test
    void aBackendServiceActsAsAnAccountOnlyOnceThatAccountApprovesItAndNoAdministratorCanApproveForIt() throws Exception {
        Path file = dir.resolve("smart/clients.json");
        SmartClients c = at(file);
        String jwks = jwks();
        SmartClient svc = c.register("Exporter", List.of(), jwks, "dr-a", "system/*.read", null, "admin");
        assertFalse(svc.approved(), "registered by an administrator, not yet approved by the account it acts as");
        assertEquals(org.ehrledger.ejb.application.ErrorCode.FORBIDDEN,
                assertThrows(EhrException.class, () -> c.approve(svc.clientId(), "admin", true)).code());
        assertEquals(org.ehrledger.ejb.application.ErrorCode.FORBIDDEN,
                assertThrows(EhrException.class, () -> c.approve(svc.clientId(), "dr-b", true)).code());
        assertFalse(at(file).find(svc.clientId()).orElseThrow().approved());

        assertTrue(c.approve(svc.clientId(), "dr-a", true).approved());
        assertTrue(at(file).find(svc.clientId()).orElseThrow().approved(), "the approval is kept across a restart");
        assertFalse(c.approve(svc.clientId(), "dr-a", false).approved(), "and can be withdrawn");
        assertFalse(at(file).find(svc.clientId()).orElseThrow().approved());

        SmartClient app = c.register("Vitals", List.of("https://vitals.example.org/cb"), null, null, "patient/*.read", null, "admin");
        assertEquals(org.ehrledger.ejb.application.ErrorCode.NOT_FOUND,
                assertThrows(EhrException.class, () -> c.approve(app.clientId(), "dr-a", true)).code(),
                "an app a person launches is approved by the person on the consent page, not here");
    }
}

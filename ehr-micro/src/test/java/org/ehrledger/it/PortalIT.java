package org.ehrledger.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The portal in a real browser (headless Chromium from Debian) against a real 4-replica network: a
 * patient signs up, an administrator registers a doctor, the doctor is refused until the patient consents,
 * reads and writes under the consent, is refused again after the patient withdraws it, and breaks the
 * glass; the patient sees every access with its basis. A patient who edits the URL to name someone else's
 * record still sees only their own, and the GET writes nothing in their name. Screenshots go to
 * target/screenshots.
 *
 * <p>Runs on the {@link LocalNetwork#shared() shared network} and leaves it as later classes expect: its
 * accounts and patients are its own; the emergency state it declares is ended (by its last emergency test, or
 * by {@link #down()} if that failed half-way); the organisations of replicas 2 (the emergency quorum needs a
 * second one) and 4 it has admitted through {@link LocalNetwork#organisation}, once for whichever class asks first,
 * and nobody counts them (FhirIT compares the member organisations with the JSON API's list, not with a number);
 * and the failed sign-ins that lock an account are made at replica 4, where that patient's account lives, so that
 * the per-address count of 127.0.0.1 at replica 1, which the other classes sign in at, stays far from its limit.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PortalIT {

    private static LocalNetwork net;
    private static WebDriver browser;
    private static Path shots;
    private static Path downloads;
    private static String adminPassword;
    private static String patientId;
    private static final String PATIENT_PASSWORD = "Portal patient pw 1";
    private static final String PATIENT_NAME = "Ada Lovelace";
    private static String otherPatientId;
    private static final String OTHER_PASSWORD = "Other patient pw 22";
    /** The replica the other patient signed up at (their account lives there): not replica 1, see the class comment. */
    private static final int OTHER_REPLICA = 4;
    /** The administrator of the second organisation, replica 2's. */
    private static LocalNetwork.Administrator second;
    private static final String DOCTOR = "dr.grey";
    private static final String DOCTOR_PASSWORD = "Grey's own password 7";
    private static String doctorPassword;
    /** Notes the patient writes through the JSON API before the doctor opens the chart: more than its first page. */
    private static final int DIARY = 55;

    @BeforeAll
    static void up() throws Exception {
        net = LocalNetwork.shared();
        adminPassword = LocalNetwork.adminPassword(LocalNetwork.sharedUpOutput());
        String adminToken = net.signIn(1, "admin", adminPassword);
        second = net.organisation(2, adminToken);
        net.organisation(OTHER_REPLICA, adminToken);
        shots = Path.of(System.getProperty("it.home", "target/it-cluster")).resolveSibling("screenshots").toAbsolutePath();
        Files.createDirectories(shots);
        downloads = Files.createTempDirectory("ehr-downloads");
        browser = chromium();
    }

    @AfterAll
    static void down() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (net != null) {
            endEmergencyState();
        }
    }

    /**
     * Leaves the shared network in normal operation with no vote pending, whichever test failed: the emergency
     * state ended by both organisations, and a declaration still pending completed first so that ending it
     * clears every vote. Without the second organisation a pending vote of the first cannot be cleared; it
     * lapses within the vote window and no other class votes.
     */
    private static void endEmergencyState() throws Exception {
        String admin = net.signIn(1, "admin", adminPassword);
        JsonObject e = net.get(1, "/emergency", admin).json();
        boolean pending = !e.getJsonArray("pendingDeclare").isEmpty() || !e.getJsonArray("pendingEnd").isEmpty();
        if (!e.getBoolean("active") && !pending) {
            return;
        }
        if (second == null) {
            System.err.println("PortalIT leaves an emergency vote pending on the shared network: " + e);
            return;
        }
        String lake = net.signIn(2, second.userId(), second.password());
        JsonObject reason = Json.createObjectBuilder().add("reason", "Incident over (PortalIT clean-up)").add("minutes", 1).build();
        if (!e.getBoolean("active")) {
            net.post(1, "/emergency/declarations", admin, reason);
            net.post(2, "/emergency/declarations", lake, reason);
        }
        net.post(1, "/emergency/endings", admin, reason);
        net.post(2, "/emergency/endings", lake, reason);
        JsonObject after = net.get(1, "/emergency", admin).json();
        assertFalse(after.getBoolean("active"), "PortalIT ends the emergency state it declared: " + after);
    }

    /** Debian's chromium and chromedriver (no driver download), with the flags a closed, rootful machine needs. */
    static WebDriver chromium() throws Exception {
        ChromeOptions o = new ChromeOptions();
        o.setExperimentalOption("prefs", java.util.Map.of("download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        o.setBinary(new File(System.getProperty("it.chromium", "/usr/bin/chromium")));
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
                "--disable-quic", "--window-size=1280,1000",
                "--user-data-dir=" + Files.createTempDirectory("ehr-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getProperty("it.chromedriver", "/usr/bin/chromedriver")))
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, o);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return driver;
    }

    @Test
    @Order(1)
    void aVisitorAtTheRootGetsTheLoginPageWithASignUpLink() throws Exception {
        browser.get(net.web(1) + "/");
        assertTrue(browser.getCurrentUrl().endsWith("/login.xhtml"), browser.getCurrentUrl());
        assertEquals("Sign in · EHR Ledger", browser.getTitle());
        assertTrue(browser.findElement(By.id("signUpLink")).isDisplayed());
        shot("01-login");
    }

    @Test
    @Order(2)
    void aPatientSignsUpAndGetsAPatientId() throws Exception {
        browser.get(net.web(1) + "/login.xhtml");
        browser.findElement(By.id("signUpLink")).click();
        type("name", PATIENT_NAME);
        date("birthDate", "1985-12-10");
        type("contact", "ada@example.org");
        type("nationalId", "AB123456C");
        type("password", PATIENT_PASSWORD);
        type("confirm", PATIENT_PASSWORD);
        shot("02-signup");
        browser.findElement(By.id("create")).click();
        patientId = waitFor(By.id("new-patient-id")).getText().strip();
        assertTrue(patientId.matches("P-[0-9A-Z]{5}-[0-9A-Z]{5}"), patientId);
        shot("03-signup-done");

        // The second patient, for the tampering test, signs up through the JSON API at replica 4 (see the class comment).
        var r = net.post(OTHER_REPLICA, "/patients", null, Json.createObjectBuilder().add("name", "Bob Other").add("birthDate", "1970-01-01")
                .add("contact", "bob@example.org").add("password", OTHER_PASSWORD).build());
        assertEquals(201, r.status(), r.raw());
        otherPatientId = r.str("patientId");
    }

    @Test
    @Order(3)
    void anAdministratorRegistersADoctor() throws Exception {
        signIn("admin", adminPassword);
        assertTrue(browser.getCurrentUrl().contains("/admin/staff.xhtml"), browser.getCurrentUrl());
        type("newUserId", DOCTOR);
        type("newName", "Dr Meredith Grey");
        new Select(browser.findElement(By.id("newRole"))).selectByValue("PRACTITIONER");
        browser.findElement(By.id("registerButton")).click();
        String code = waitFor(By.id("enrolment-code")).getText().strip();
        assertTrue(browser.findElement(By.id("people-table")).getText().contains("Awaiting enrolment"));
        shot("04-admin-people");
        signOut();

        // The code is no password: the doctor completes their enrolment with it and chooses their own.
        assertTrue(failedSignIn(DOCTOR, code).contains("complete your enrolment"), "the code does not sign in");
        browser.get(net.web(1) + "/login.xhtml");
        browser.findElement(By.id("enrolLink")).click();
        type("userId", DOCTOR);
        type("code", code);
        type("password", DOCTOR_PASSWORD);
        type("confirm", DOCTOR_PASSWORD);
        browser.findElement(By.id("completeEnrolment")).click();
        assertEquals(DOCTOR, waitFor(By.id("enrolled-id")).getText().strip());
        doctorPassword = DOCTOR_PASSWORD;
        // The two-person rule: a second administrator confirms the registration, or the doctor cannot break the glass.
        String secondAdminPassword = net.staff(1, net.signIn(1, "admin", adminPassword), "admin.two", "Second Admin", "ADMIN");
        signIn("admin.two", secondAdminPassword);
        browser.findElement(By.cssSelector("#pending-confirmations tr[data-user='" + DOCTOR + "'] input[type=submit]")).click();
        assertTrue(waitFor(By.cssSelector(".alert.info")).getText().contains("confirmed the registration of " + DOCTOR));
        signOut();
    }

    @Test
    @Order(4)
    void theDoctorIsRefusedBeforeThePatientConsents() throws Exception {
        signIn(DOCTOR, doctorPassword);
        type("patientId", patientId);
        browser.findElement(By.id("find")).click();
        waitFor(By.id("chart-patient-id"));
        assertTrue(text("access-summary").contains("No access"));
        browser.findElement(By.id("openRecord")).click();
        String refusal = waitFor(By.cssSelector(".alert.error")).getText();
        assertTrue(refusal.contains("consent of " + patientId), refusal);
        assertTrue(refusal.contains("refusal recorded in block"), refusal);
        assertTrue(browser.findElements(By.id("chart-records")).isEmpty(), "no record shown");
        shot("05-doctor-refused");
        signOut();
    }

    @Test
    @Order(5)
    void thePatientGivesConsent() throws Exception {
        signIn(patientId, PATIENT_PASSWORD);
        assertEquals(patientId, text("my-patient-id"));
        browser.get(net.web(1) + "/patient/consents.xhtml");
        type("grantee", DOCTOR);
        // Personal details too, so that the doctor sees the name (the default is notes, results, allergies, prescriptions).
        browser.findElement(By.cssSelector("input[type=checkbox][value=DEMOGRAPHICS]")).click();
        browser.findElement(By.id("give")).click();
        notice("Consent given to " + DOCTOR);
        WebElement row = browser.findElement(By.cssSelector("tr[data-grantee='" + DOCTOR + "']"));
        assertEquals("Active", row.getAttribute("data-status"));
        assertTrue(row.getText().contains("Dr Meredith Grey"), row.getText());
        shot("06-patient-consents");
        signOut();
    }

    @Test
    @Order(6)
    void theDoctorReadsAddsANoteAndPrescribes() throws Exception {
        // The patient's own diary, through the JSON API: more entries than a chart shows at first.
        String patientToken = net.signIn(1, patientId, PATIENT_PASSWORD);
        ExecutorService writers = Executors.newFixedThreadPool(8);
        try {
            List<Future<LocalNetwork.Reply>> written = new ArrayList<>();
            for (int i = 1; i <= DIARY; i++) {
                JsonObject note = Json.createObjectBuilder().add("category", "NOTE").add("title", "Home reading " + i)
                        .add("text", "Blood pressure at home, day " + i).build();
                written.add(writers.submit(() -> net.post(1, "/patients/" + patientId + "/records", patientToken, note)));
            }
            for (Future<LocalNetwork.Reply> w : written) {
                assertEquals(201, w.get().status(), w.get().raw());
            }
        } finally {
            writers.shutdown();
        }
        signIn(DOCTOR, doctorPassword);
        // The patient consented to their personal details, so the doctor finds them by name and date of birth.
        type("searchName", "ada  LOVELACE");
        date("searchBirthDate", "1985-12-10");
        browser.findElement(By.id("searchButton")).click();
        assertTrue(waitFor(By.id("matches")).getText().contains(patientId));
        openChart(patientId);
        assertTrue(text("access-summary").contains("Note"));
        browser.findElement(By.id("openRecord")).click();
        waitFor(By.id("chart-records"));
        assertTrue(browser.findElement(By.tagName("h1")).getText().contains(PATIENT_NAME), "the chart shows the patient's name");
        // The newest 50 entries first (only they are decrypted); the older ones on request, read and recorded again.
        assertEquals(50, shownRecords().size());
        assertEquals(50, browser.findElements(By.xpath("//h3[@class='record-title'][starts-with(text(), 'Home reading ')]")).size(),
                "the diary is the newest: 50 of its 55 notes shown, the 5 oldest wait for the next page");
        browser.findElement(By.id("showOlder")).click();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> b.findElements(By.id("showOlder")).isEmpty());
        List<String> shown = shownRecords();
        assertTrue(shown.size() > DIARY, "the diary and what the patient had before: " + shown.size());
        assertEquals(shown.size(), new HashSet<>(shown).size(), "no entry twice");
        for (int i = 1; i <= DIARY; i++) {
            String title = "Home reading " + i;
            assertEquals(1, browser.findElements(By.xpath("//h3[@class='record-title'][text()='" + title + "']")).size(), title);
        }
        type("noteTitle", "Annual check-up");
        type("noteText", "Blood pressure 128/82. Advised more exercise.");
        browser.findElement(By.id("saveNote")).click();
        notice("Note saved");
        type("drug", "Amoxicillin");
        type("dose", "500 mg");
        new Select(browser.findElement(By.id("route"))).selectByValue("oral");
        type("frequency", "3 times a day");
        type("duration", "7 days");
        type("instructions", "Take with food");
        browser.findElement(By.id("savePrescription")).click();
        notice("Prescription saved");
        type("obsName", "HbA1c");
        type("obsValue", "48");
        type("obsUnit", "mmol/mol");
        browser.findElement(By.id("saveObservation")).click();
        notice("Observation saved");
        type("allergySubstance", "Penicillin");
        type("allergyReaction", "Hives");
        new Select(browser.findElement(By.id("allergySeverity"))).selectByValue("severe");
        browser.findElement(By.id("saveAllergy")).click();
        notice("Allergy saved");
        String chart = text("chart-records");
        assertTrue(chart.contains("Annual check-up") && chart.contains("Amoxicillin"), chart);
        assertTrue(chart.contains("HbA1c") && chart.contains("mmol/mol") && chart.contains("Penicillin"), chart);
        shot("07-doctor-chart");
        signOut();
    }

    @Test
    @Order(7)
    void thePatientSeesTheNoteThePrescriptionAndWhoReadTheRecord() throws Exception {
        signIn(patientId, PATIENT_PASSWORD);
        String record = browser.findElement(By.id("record")).getText();
        assertTrue(record.contains("Annual check-up") && record.contains("Blood pressure 128/82"), record);
        assertTrue(record.contains("Amoxicillin") && record.contains("500 mg") && record.contains("3 times a day"), record);
        assertTrue(record.contains("HbA1c") && record.contains("48") && record.contains("Penicillin") && record.contains("severe"),
                record);
        WebElement prescription = browser.findElement(By.cssSelector("article[data-category=PRESCRIPTION]"));
        prescription.findElement(By.cssSelector("input.verify")).click();
        WebElement verified = waitFor(By.cssSelector("article[data-category=PRESCRIPTION] .verified"));
        assertTrue(verified.getText().matches("(?s)✔ Verified in block \\d+.*"), verified.getText());
        shot("08-patient-record");

        // Take the record and the keys away: a FHIR bundle, and a PKCS#12 file the chosen password opens.
        browser.findElement(By.id("downloadBundle")).click();
        String bundle = Files.readString(download("ehr-record.json"));
        jakarta.json.JsonObject json = Json.createReader(new java.io.StringReader(bundle)).readObject();
        assertEquals("Bundle", json.getString("resourceType"));
        List<String> types = json.getJsonArray("entry").getValuesAs(jakarta.json.JsonObject.class).stream()
                .map(e -> e.getJsonObject("resource").getString("resourceType")).toList();
        assertTrue(types.containsAll(List.of("Patient", "MedicationRequest", "DocumentReference")), types.toString());
        assertTrue(bundle.contains(PATIENT_NAME) && bundle.contains("Amoxicillin"));
        browser.get(net.web(1) + "/account.xhtml");
        type("accountPassword", PATIENT_PASSWORD);
        type("p12password", "my key file password");
        type("p12confirm", "my key file password");
        browser.findElement(By.id("downloadKeys")).click();
        java.security.KeyStore p12 = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(download(patientId + ".p12"))) {
            p12.load(in, "my key file password".toCharArray());
        }
        assertTrue(p12.isKeyEntry("signing") && p12.isKeyEntry("encryption"));
        assertTrue(((java.security.cert.X509Certificate) p12.getCertificate("signing")).getSubjectX500Principal().getName()
                .contains("CN=" + patientId));

        browser.get(net.web(1) + "/patient/access.xhtml");
        String log = text("access-log");
        assertTrue(log.contains(DOCTOR) && log.contains("Dr Meredith Grey") && log.contains("Consent"), log);
        assertTrue(log.contains("Treatment"), "the reason is shown: " + log);
        shot("09-patient-access-log");
        signOut();
    }

    @Test
    @Order(8)
    void afterThePatientWithdrawsConsentTheDoctorIsRefusedAgain() throws Exception {
        signIn(patientId, PATIENT_PASSWORD);
        browser.get(net.web(1) + "/patient/consents.xhtml");
        browser.findElement(By.cssSelector("tr[data-grantee='" + DOCTOR + "'] input.revoke")).click();
        browser.switchTo().alert().accept();
        notice("Consent withdrawn");
        assertEquals("Revoked", browser.findElement(By.cssSelector("tr[data-grantee='" + DOCTOR + "']")).getAttribute("data-status"));
        signOut();

        signIn(DOCTOR, doctorPassword);
        openChart(patientId);
        assertTrue(text("access-summary").contains("No access"));
        browser.findElement(By.id("openRecord")).click();
        assertTrue(waitFor(By.cssSelector(".alert.error")).getText().contains("consent of " + patientId));
        assertTrue(browser.findElements(By.id("chart-records")).isEmpty());
    }

    @Test
    @Order(9)
    void theDoctorBreaksTheGlassWithAReasonAndThePatientSeesItFlagged() throws Exception {
        // still signed in as the doctor, on the chart
        type("breakGlassReason", "Unconscious in A&E, allergy check needed");
        new Select(browser.findElement(By.id("breakGlassMinutes"))).selectByValue("30");
        browser.findElement(By.id("openBreakGlass")).click();
        waitFor(By.id("break-glass-active"));
        String countdown = browser.findElement(By.cssSelector("#break-glass-active .countdown")).getText();
        assertTrue(countdown.matches("(2[0-9]|30):\\d\\d"), "a visible countdown: " + countdown);
        browser.findElement(By.id("openRecord")).click();
        String chart = waitFor(By.id("chart-records")).getText();
        assertTrue(chart.contains("Amoxicillin"), chart);
        shot("10-doctor-break-glass");
        signOut();

        signIn(patientId, PATIENT_PASSWORD);
        browser.get(net.web(1) + "/patient/access.xhtml");
        List<WebElement> flagged = browser.findElements(By.cssSelector("#access-log tr.access-break_glass"));
        assertFalse(flagged.isEmpty(), "break-glass reads are flagged");
        assertTrue(flagged.get(0).getText().contains("Unconscious in A&E"), flagged.get(0).getText());
        assertTrue(flagged.get(0).getText().contains("Break-glass"));
        shot("11-patient-sees-break-glass");
        signOut();
    }

    @Test
    @Order(10)
    void aPatientCannotOpenAnotherPatientsRecordByEditingTheUrlAndTheGetWritesNothingInTheirName() throws Exception {
        signIn(OTHER_REPLICA, otherPatientId, OTHER_PASSWORD);
        long before = net.status(OTHER_REPLICA).getJsonNumber("height").longValue();
        // The record page takes no patient id: whatever the URL names, it shows the visitor's own record and,
        // being a GET, submits nothing (a link on another site cannot put an access attempt on chain in their name).
        browser.get(net.web(OTHER_REPLICA) + "/patient/record.xhtml?patient=" + patientId);
        assertEquals(otherPatientId, waitFor(By.id("my-patient-id")).getText());
        String page = browser.getPageSource();
        assertFalse(page.contains("Amoxicillin") || page.contains("Annual check-up") || page.contains(PATIENT_NAME),
                "no data of the other patient");
        shot("12-patient-url-names-another-patient");

        // A practitioner's page is refused by role.
        browser.get(net.web(OTHER_REPLICA) + "/doctor/chart.xhtml?patient=" + patientId);
        assertTrue(waitFor(By.id("refusal")).isDisplayed());
        assertFalse(browser.getPageSource().contains("Amoxicillin"));
        assertEquals(before, net.status(OTHER_REPLICA).getJsonNumber("height").longValue(), "no GET committed a transaction");

        // The session cookie is never sent on requests other sites start.
        Cookie session = browser.manage().getCookieNamed("JSESSIONID");
        assertEquals("Strict", session.getSameSite(), session.toString());
        assertTrue(session.isHttpOnly());
        signOut();
        signIn("admin", adminPassword);
    }

    @Test
    @Order(11)
    void theAdministratorSeesAVerifiedChainTheClusterAndPendingEmergencyVotes() throws Exception {
        // still signed in as the administrator
        browser.get(net.web(1) + "/admin/ledger.xhtml");
        assertEquals("✔ Chain verified", text("verification-status"));
        browser.findElement(By.id("reverify")).click();
        assertEquals("✔ Chain verified", textOnceSettled("verification-status", "✔ Chain verified"));
        assertTrue(browser.findElements(By.cssSelector("#blocks tbody tr")).size() >= 10);
        shot("14-ledger");

        browser.get(net.web(1) + "/admin/cluster.xhtml");
        List<WebElement> replicas = browser.findElements(By.cssSelector("#replicas tbody tr"));
        assertEquals(4, replicas.size());
        for (WebElement r : replicas) {
            assertTrue(r.getText().contains("running"), r.getText());
        }
        assertEquals(60, browser.findElements(By.cssSelector("#throughput-chart rect")).size());
        // What this replica's links turned away: seven counts, over TLS, and no TLS peer without a genesis key.
        assertTrue(browser.getPageSource().contains("TLS 1.3 with the genesis keys"), "the links are TLS");
        List<WebElement> counts = browser.findElements(By.cssSelector("#links tbody td:nth-child(2)"));
        assertEquals(7, counts.size());
        for (WebElement c : counts) {
            assertTrue(c.getText().matches("[0-9]+"), c.getText());
        }
        assertEquals("0", counts.get(2).getText(), "no TLS peer without a genesis key was turned away");
        shot("15-cluster");

        browser.get(net.web(1) + "/admin/emergency.xhtml");
        type("emergencyReason", "Mass-casualty incident on the ring road");
        browser.findElement(By.id("declare")).click();
        String pending = waitFor(By.id("pending-declare")).getText();
        assertTrue(pending.contains("st-mary") && pending.contains("Mass-casualty"), pending);
        assertTrue(text("emergency-state").contains("Normal operation"), "one organisation alone cannot declare it");
        shot("16-emergency-pending");
        signOut();
    }

    @Test
    @Order(12)
    void theClusterPageChartsLatencyLiveAndMarksTheEmergencyStateWhenASecondOrganisationDeclaresIt() throws Exception {
        // The timeline is for administrators only, on the JSON API as on the page.
        String patientToken = net.signIn(1, patientId, PATIENT_PASSWORD);
        LocalNetwork.Reply refused = net.get(1, "/cluster/timeline", patientToken);
        assertEquals(403, refused.status(), refused.raw());
        assertEquals("FORBIDDEN", refused.json().getString("code"), refused.raw());
        assertEquals(401, net.get(1, "/cluster/timeline").status());
        browser.get(net.web(1) + "/admin/cluster/timeline");
        assertTrue(browser.getCurrentUrl().contains("/login.xhtml"), "the portal's data needs an administrator's session");
        String adminToken = net.signIn(1, "admin", adminPassword);
        assertEquals(400, net.get(1, "/cluster/timeline?seconds=0", adminToken).status());

        signIn("admin", adminPassword);
        browser.get(net.web(1) + "/admin/cluster.xhtml");
        WebElement chart = browser.findElement(By.id("latency-chart"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> text("latency-status").startsWith("replica 1"));

        // Replica 1's chart holds the latency of the writes through it (the first organisation's vote of the previous
        // test among them); the second organisation's vote puts the emergency state in force.
        String lake = net.signIn(2, second.userId(), second.password());
        LocalNetwork.Reply declared = net.post(2, "/emergency/declarations", lake,
                Json.createObjectBuilder().add("reason", "Mass-casualty incident on the ring road").add("minutes", 60).build());
        assertEquals(201, declared.status(), declared.raw());
        assertTrue(declared.json().getBoolean("active"), declared.raw());

        // The chart may already hold other markers (replicas that joined after replica 1 started): wait for this one.
        String markerLabels = "var c = Chart.getChart('latency-chart'); if (!c) { return ''; }"
                + " var a = c.options.plugins.annotation.annotations;"
                + " return Object.keys(a).map(function (k) { return a[k].label.content; }).join('|');";
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> Integer.parseInt(chart.getAttribute("data-points")) >= 1
                && String.valueOf(((org.openqa.selenium.JavascriptExecutor) b).executeScript(markerLabels))
                        .contains("emergency state declared: Mass-casualty"));
        Object points = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "var c = Chart.getChart('latency-chart'); return c.data.datasets[1].data.filter(function (p) { return p.y > 0; }).length;");
        assertTrue(((Number) points).intValue() >= 1, "p99 points drawn: " + points);
        Object marker = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(markerLabels);
        assertTrue(String.valueOf(marker).contains("emergency state declared: Mass-casualty"), String.valueOf(marker));
        String events = text("timeline-events");
        assertTrue(events.contains("emergency state declared"), events);
        shot("16b-cluster-latency");

        // Ending it (both organisations again) is marked too, and the state is normal for the tests after this one.
        var end = Json.createObjectBuilder().add("reason", "Incident over").build();
        assertEquals(201, net.post(1, "/emergency/endings", adminToken, end).status());
        LocalNetwork.Reply ended = net.post(2, "/emergency/endings", lake, end);
        assertFalse(ended.json().getBoolean("active"), ended.raw());
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> text("timeline-events").contains("emergency state ended"));
        signOut();
    }

    @Test
    @Order(13)
    void aSuspendedDoctorCannotSignInAndARevokedCertificateEndsTheirAccessNetworkWide() throws Exception {
        signIn("admin", adminPassword);
        browser.findElement(By.cssSelector("tr[data-user='" + DOCTOR + "'] input[value=Suspend]")).click();
        assertTrue(waitFor(By.cssSelector(".alert.info")).getText().contains(DOCTOR + " is suspended"));
        signOut();
        assertEquals("This account is suspended; contact your administrator.", failedSignIn(DOCTOR, doctorPassword));

        signIn("admin", adminPassword);
        browser.findElement(By.cssSelector("tr[data-user='" + DOCTOR + "'] input[value=Reinstate]")).click();
        waitFor(By.cssSelector(".alert.info"));
        browser.findElement(By.cssSelector("tr[data-user='" + DOCTOR + "'] input[value='Revoke certificate']")).click();
        browser.switchTo().alert().accept();
        assertTrue(waitFor(By.cssSelector(".alert.info")).getText().contains("revoked network-wide"));
        assertTrue(browser.findElement(By.cssSelector("tr[data-user='" + DOCTOR + "']")).getText().contains("Certificate revoked"));
        shot("17-admin-revoked");
        signOut();
        assertTrue(failedSignIn(DOCTOR, doctorPassword).startsWith("Your certificate was revoked"));
    }

    @Test
    @Order(14)
    void signingInChangesTheSessionIdSigningOutEndsItAndRepeatedFailuresAreThrottled() throws Exception {
        browser.get(net.web(1) + "/login.xhtml");
        Cookie before = browser.manage().getCookieNamed("JSESSIONID");
        signIn(patientId, PATIENT_PASSWORD);
        Cookie after = browser.manage().getCookieNamed("JSESSIONID");
        assertNotEquals(before == null ? null : before.getValue(), after.getValue());
        signOut();
        browser.get(net.web(1) + "/patient/record.xhtml");
        assertTrue(browser.getCurrentUrl().contains("/login.xhtml"), "signed out: " + browser.getCurrentUrl());

        // At replica 4, where the other patient's account lives (see the class comment).
        String last = "";
        for (int i = 0; i < 6; i++) {
            browser.get(net.web(OTHER_REPLICA) + "/login.xhtml");
            type("userId", otherPatientId);
            type("password", "not the password " + i);
            browser.findElement(By.id("signIn")).click();
            last = waitFor(By.cssSelector(".alert.error")).getText();
        }
        assertTrue(last.startsWith("Too many failed sign-ins"), last);
        shot("18-login-throttled");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void signIn(String user, String password) {
        signIn(1, user, password);
    }

    /** Signs in on the portal of a replica (1-4), where the account lives. */
    private static void signIn(int replica, String user, String password) {
        browser.get(net.web(replica) + "/login.xhtml");
        type("userId", user);
        type("password", password);
        browser.findElement(By.id("signIn")).click();
        waitFor(By.id("signOut"));
    }

    /** Tries to sign in and returns the error shown. */
    private static String failedSignIn(String user, String password) {
        browser.get(net.web(1) + "/login.xhtml");
        type("userId", user);
        type("password", password);
        browser.findElement(By.id("signIn")).click();
        return waitFor(By.cssSelector(".alert.error")).getText();
    }

    /** The ids of the records the open chart shows, top to bottom. */
    private static List<String> shownRecords() {
        return browser.findElements(By.cssSelector("#chart-records article.record")).stream().map(e -> e.getAttribute("data-record"))
                .toList();
    }

    private static void signOut() {
        browser.findElement(By.id("signOut")).click();
        waitFor(By.id("signIn"));
    }

    private static void openChart(String patient) {
        browser.get(net.web(1) + "/doctor/patients.xhtml");
        type("patientId", patient);
        browser.findElement(By.id("find")).click();
        waitFor(By.id("chart-patient-id"));
    }

    private static void type(String id, String text) {
        WebElement e = waitFor(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    /** Sets a date input (typing into one depends on the browser's locale). */
    private static void date(String id, String isoDate) {
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1];",
                browser.findElement(By.id(id)), isoDate);
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    /**
     * Waits for an information notice starting with {@code start} (the test fails if none comes) and returns
     * its text. A page re-rendered
     * by the action that causes it may still show the previous notice for a moment, or replace the element
     * while it is read: both are waited out.
     */
    private static String notice(String start) {
        String[] last = {""};
        try {
            return new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
                try {
                    last[0] = d.findElement(By.cssSelector(".alert.info")).getText();
                    return last[0].startsWith(start) ? last[0] : null;
                } catch (org.openqa.selenium.WebDriverException e) {
                    return null; // not there yet, or replaced while being read
                }
            });
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("expected a notice starting with '" + start + "', the page shows '" + last[0] + "'", e);
        }
    }

    /**
     * The text of an element an Ajax action re-renders: read until it is {@code expected} (the element may be
     * replaced while it is read), or what it shows after 30 s.
     */
    private static String textOnceSettled(String id, String expected) {
        String[] last = {""};
        try {
            return new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
                try {
                    last[0] = d.findElement(By.id(id)).getText();
                    return expected.equals(last[0]) ? last[0] : null;
                } catch (org.openqa.selenium.WebDriverException e) {
                    return null; // not there yet, or replaced while being read
                }
            });
        } catch (org.openqa.selenium.TimeoutException e) {
            return last[0];
        }
    }

    private static WebElement waitFor(By by) {
        return new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits for a downloaded file to be complete. */
    private static Path download(String name) throws InterruptedException {
        Path file = downloads.resolve(name);
        for (int i = 0; i < 300 && !(Files.isRegularFile(file) && file.toFile().length() > 0); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.isRegularFile(file), "downloaded " + name);
        return file;
    }

    private static void shot(String name) throws Exception {
        Files.write(shots.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}

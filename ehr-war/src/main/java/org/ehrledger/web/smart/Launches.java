package org.ehrledger.web.smart;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/**
 * The contexts of EHR launches (SMART {@code launch-ehr}): a practitioner with a patient open in the portal
 * launches a registered app, which gets a launch id to send back in its authorization request (scope
 * {@code launch}). A launch is bound to the app, the practitioner and the patient, is used once (the
 * authorization request that names it spends it), and lives {@value #LAUNCH_MILLIS} ms. In this replica's
 * memory only, at most {@link SmartTokens#MAX_ENTRIES}, like the rest of SMART's state. The patient is context,
 * not permission: the practitioner's reads of that patient still need consent, break-glass or the emergency state.
 */
@ApplicationScoped
public class Launches {

    /** How long a launch waits for the app's authorization request. */
    public static final long LAUNCH_MILLIS = 5 * 60_000L;
    /** What a patient id looks like. */
    static final Pattern PATIENT_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    /** One launch: of which app, by which practitioner, with which patient open. */
    public record Launch(String clientId, String practitioner, String patient, long expiresAt) {
    }

    LongSupplier clock = System::currentTimeMillis;

    private final Map<String, Launch> open = new ConcurrentHashMap<>();

    /**
     * A new launch of an app by a practitioner (their verified user id, never the request's) with a patient open;
     * returns its id. The app must be one a person launches, registered with a launch URL and scope {@code launch}.
     */
    public String create(SmartClient app, String practitioner, String patient) {
        if (!app.launchable()) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "the app " + app.clientId() + " is not registered for EHR launch "
                    + "(it needs a launchUri and scope launch)");
        }
        if (patient == null || !PATIENT_ID.matcher(patient).matches()) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "name the patient the app is launched for");
        }
        long now = clock.getAsLong();
        SmartTokens.room(open, l -> l.expiresAt() <= now);
        String id = SmartTokens.random();
        open.put(id, new Launch(app.clientId(), practitioner, patient, now + LAUNCH_MILLIS));
        return id;
    }

    /** Spends a launch named in an authorization request of an app: it must be that app's, unused and unexpired. */
    public Launch take(String id, String clientId) {
        Launch l = id == null ? null : open.remove(id);
        if (l == null || l.expiresAt() <= clock.getAsLong()) {
            throw new SmartTokens.OAuthError("invalid_request", "the launch is unknown, expired or already used; launch the "
                    + "app again from the EHR");
        }
        if (!l.clientId().equals(clientId)) {
            throw new SmartTokens.OAuthError("invalid_request", "the launch was created for another app");
        }
        return l;
    }

    /** The URL the practitioner's browser goes to: the app's launch URL with {@code iss} and {@code launch}. */
    public static String launchUrl(SmartClient app, String fhirBase, String launchId) {
        String u = app.launchUri();
        return u + (u.contains("?") ? '&' : '?') + "iss=" + java.net.URLEncoder.encode(fhirBase, java.nio.charset.StandardCharsets.UTF_8)
                + "&launch=" + launchId;
    }
}

package org.ehrledger.web.smart;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SMART scopes as granted to an app: the clinical scopes ({@code patient/Observation.read},
 * {@code user/*.read}, {@code system/*.read}, and the SMART v2 forms {@code patient/Observation.rs},
 * {@code user/*.cruds}), {@code launch/patient}, {@code launch} (an EHR launch), {@code offline_access}, and
 * OpenID Connect's {@code openid} and {@code fhirUser} (an ID token naming the person). A scope only narrows what
 * the person (or account) may do: the session beans still decide every read and write. Scopes this server does
 * not grant (v2 query restrictions) are left out of the grant, which the token answer's {@code scope} tells the app.
 *
 * @param launchPatient {@code launch/patient}: a patient in context, chosen at consent
 * @param offline       {@code offline_access}: a refresh token
 * @param openid        {@code openid}: an ID token; without it none is ever issued
 * @param fhirUser      {@code fhirUser}: the ID token names the person's FHIR resource (only with {@code openid})
 * @param launch        {@code launch}: the context of an EHR launch (the patient the practitioner had open)
 */
public record Scopes(List<Rule> rules, boolean launchPatient, boolean offline, boolean openid, boolean fhirUser,
                     boolean launch) {

    /** Where a clinical scope applies: the patient in context, anything the user may, or a backend service's account. */
    public enum Context { PATIENT, USER, SYSTEM }

    /** One clinical scope: its context, resource type ({@code *} for any) and interactions (of {@code cruds}). */
    public record Rule(Context context, String type, String interactions) {

        boolean covers(String resourceType, char interaction) {
            return (type.equals("*") || type.equals(resourceType)) && interactions.indexOf(interaction) >= 0;
        }

        /** The scope as the token answer spells it. */
        String spelled() {
            return context.name().toLowerCase(Locale.ROOT) + "/" + type + "." + interactions;
        }
    }

    /** Read a resource by id. */
    public static final char READ = 'r';
    /** Search. */
    public static final char SEARCH = 's';
    /** Create. */
    public static final char CREATE = 'c';
    /** Update. */
    public static final char UPDATE = 'u';
    /** Delete. */
    public static final char DELETE = 'd';

    /** The most scopes one request names. */
    static final int MAX_SCOPES = 50;
    /** {@code launch/patient}: the app asks for a patient in context. */
    public static final String LAUNCH_PATIENT = "launch/patient";
    /** {@code offline_access}: the app asks for a refresh token. */
    public static final String OFFLINE_ACCESS = "offline_access";
    /** {@code openid}: the app asks for an ID token (OpenID Connect). */
    public static final String OPENID = "openid";
    /** {@code fhirUser}: the app asks the ID token to name the person's FHIR resource. */
    public static final String FHIR_USER = "fhirUser";
    /** {@code launch}: the app was launched from the EHR and asks for that launch's context. */
    public static final String LAUNCH = "launch";

    private static final Pattern CLINICAL = Pattern.compile("(patient|user|system)/(\\*|[A-Z][A-Za-z]{1,63})\\.(read|write|\\*|c?r?u?d?s?)");

    /** The scopes a request names, of those this server grants; unknown ones are dropped. */
    public static Scopes parse(String scope) {
        List<Rule> rules = new ArrayList<>();
        boolean launchPatient = false;
        boolean offline = false;
        boolean openid = false;
        boolean fhirUser = false;
        boolean launch = false;
        if (scope == null) {
            return new Scopes(List.of(), false, false, false, false, false);
        }
        String[] names = scope.strip().split("\\s+");
        if (names.length > MAX_SCOPES) {
            throw new IllegalArgumentException("at most " + MAX_SCOPES + " scopes");
        }
        for (String name : names) {
            Matcher m = CLINICAL.matcher(name);
            if (m.matches()) {
                String interactions = switch (m.group(3)) {
                    case "read" -> "rs";
                    case "write" -> "cud";
                    case "*" -> "cruds";
                    default -> m.group(3);
                };
                if (!interactions.isEmpty()) {
                    rules.add(new Rule(Context.valueOf(m.group(1).toUpperCase(Locale.ROOT)), m.group(2), interactions));
                }
            } else if (name.equals(LAUNCH_PATIENT)) {
                launchPatient = true;
            } else if (name.equals(OFFLINE_ACCESS)) {
                offline = true;
            } else if (name.equals(OPENID)) {
                openid = true;
            } else if (name.equals(FHIR_USER)) {
                fhirUser = true;
            } else if (name.equals(LAUNCH)) {
                launch = true;
            }
        }
        return new Scopes(List.copyOf(rules), launchPatient, offline, openid, fhirUser, launch);
    }

    /** These scopes without those of another context (an app's user is not a backend service, and the reverse). */
    public Scopes only(Set<Context> contexts) {
        return new Scopes(rules.stream().filter(r -> contexts.contains(r.context())).toList(), launchPatient, offline, openid,
                fhirUser, launch);
    }

    /**
     * These scopes without those that need a person at a browser ({@code offline_access}, {@code launch/patient},
     * {@code launch}, {@code openid}, {@code fhirUser}): what a backend service may be granted.
     */
    public Scopes withoutPersonScopes() {
        return new Scopes(rules, false, false, false, false, false);
    }

    /** These scopes without the patient-context ones (no patient was chosen). */
    public Scopes withoutPatientContext() {
        return new Scopes(rules.stream().filter(r -> r.context() != Context.PATIENT).toList(), false, offline, openid, fhirUser,
                launch);
    }

    /** Whether these scopes give an app anything: a clinical scope, or an ID token. */
    public boolean grantsAnything() {
        return !rules.isEmpty() || openid;
    }

    /**
     * These scopes as far as {@code allowed} (an app's registration) allows them; {@code fhirUser} only with
     * {@code openid}.
     */
    public Scopes within(Scopes allowed) {
        List<Rule> kept = new ArrayList<>();
        for (Rule r : rules) {
            StringBuilder i = new StringBuilder();
            for (char c : r.interactions().toCharArray()) {
                boolean ok = allowed.rules.stream().anyMatch(a -> a.context() == r.context()
                        && (a.type().equals("*") || a.type().equals(r.type())) && a.interactions().indexOf(c) >= 0);
                if (ok) {
                    i.append(c);
                }
            }
            if (!i.isEmpty()) {
                kept.add(new Rule(r.context(), r.type(), i.toString()));
            }
        }
        return new Scopes(List.copyOf(kept), launchPatient && allowed.launchPatient, offline && allowed.offline,
                openid && allowed.openid, fhirUser && allowed.fhirUser && openid && allowed.openid, launch && allowed.launch);
    }

    /** Whether some scope allows this interaction on this type, in any context. */
    public boolean permits(String type, char interaction) {
        return rules.stream().anyMatch(r -> r.covers(type, interaction));
    }

    /**
     * Whether this interaction is allowed only through patient-context scopes (so only on the patient in
     * context's compartment).
     */
    public boolean onlyInPatientContext(String type, char interaction) {
        return rules.stream().noneMatch(r -> r.context() != Context.PATIENT && r.covers(type, interaction));
    }

    /** Whether any scope is a patient-context one. */
    public boolean hasPatientScopes() {
        return rules.stream().anyMatch(r -> r.context() == Context.PATIENT);
    }

    /** The scopes as the token answer spells them (space-separated). */
    public String spelled() {
        Set<String> s = new LinkedHashSet<>();
        if (openid) {
            s.add(OPENID);
        }
        if (fhirUser) {
            s.add(FHIR_USER);
        }
        if (launch) {
            s.add(LAUNCH);
        }
        if (launchPatient) {
            s.add(LAUNCH_PATIENT);
        }
        if (offline) {
            s.add(OFFLINE_ACCESS);
        }
        rules.forEach(r -> s.add(r.spelled()));
        return String.join(" ", s);
    }

    /** The scopes named in the discovery document. */
    public static final List<String> SUPPORTED = List.of(OPENID, FHIR_USER, LAUNCH, LAUNCH_PATIENT, OFFLINE_ACCESS, "patient/*.read", "patient/*.rs",
            "patient/*.cruds", "patient/*.write", "user/*.read", "user/*.rs", "user/*.cruds", "user/*.write", "system/*.read",
            "system/*.rs", "patient/Observation.read", "patient/Observation.rs");
}

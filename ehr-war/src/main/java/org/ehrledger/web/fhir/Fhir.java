package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * HL7 FHIR R4 for the facade: one {@link FhirContext} (expensive to build, thread-safe), strict parsers
 * (an unknown element or a wrong type is an error, not silently dropped) and the base-specification
 * instance validator, offline: no terminology server, no network. The validator indexes the R4 definitions
 * on first use (seconds) and parses only those it needs ({@link Definitions}); {@link #warmUp()} starts that
 * in the background when a signed-in caller first uses the facade.
 */
public final class Fhir {

    private static final Logger LOG = Logger.getLogger(Fhir.class.getName());

    /** FHIR media types. */
    public static final String JSON = "application/fhir+json";
    public static final String XML = "application/fhir+xml";

    private static final FhirContext CONTEXT = FhirContext.forR4Cached();
    /** At most this many definitions, value set checks and code lookups stay cached by the validator. */
    static final int CACHED = 1_000;
    /**
     * The resource types whose definitions the validator parses up front, as top-level resources: the commonest
     * records, the ledger's own types, the transaction Bundle, the capability statement and OperationOutcome.
     * Any other R4 type (the facade keeps every type of the Patient compartment, {@link RecordTypes}) has its
     * definition loaded when one comes.
     */
    static final Set<String> TYPES = Set.of("Observation", "Condition", "AllergyIntolerance", "MedicationRequest", "Encounter",
            "Procedure", "Immunization", "DiagnosticReport", "DocumentReference", "Patient", "Consent", "Bundle", "AuditEvent",
            "Provenance", "Practitioner", "Organization", "CapabilityStatement", "OperationOutcome");
    private static volatile CompletableFuture<FhirValidator> validator;

    private Fhir() {
    }

    /** The R4 context. */
    public static FhirContext context() {
        return CONTEXT;
    }

    /** A strict parser for JSON or XML. */
    public static IParser parser(boolean xml) {
        IParser p = xml ? CONTEXT.newXmlParser() : CONTEXT.newJsonParser();
        p.setParserErrorHandler(new StrictErrorHandler());
        return p;
    }

    /** A resource as JSON (compact). */
    public static String json(IBaseResource resource) {
        return CONTEXT.newJsonParser().encodeResourceToString(resource);
    }

    /** A resource as UTF-8 bytes in JSON or XML. */
    public static byte[] encode(IBaseResource resource, boolean xml) {
        IParser p = xml ? CONTEXT.newXmlParser() : CONTEXT.newJsonParser();
        return p.encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
    }

    /** Starts loading the validator in the background, if it is not loaded or loading yet. */
    public static void warmUp() {
        validatorFuture();
    }

    private static CompletableFuture<FhirValidator> validatorFuture() {
        CompletableFuture<FhirValidator> v = validator;
        if (v == null) {
            synchronized (Fhir.class) {
                v = validator;
                if (v == null) {
                    ClassLoader loader = Thread.currentThread().getContextClassLoader();
                    v = new CompletableFuture<>();
                    CompletableFuture<FhirValidator> result = v;
                    Thread t = new Thread(() -> {
                        Thread.currentThread().setContextClassLoader(loader);
                        try {
                            result.complete(newValidator());
                        } catch (RuntimeException | Error e) {
                            result.completeExceptionally(e);
                        }
                    }, "fhir-validator-load");
                    t.setDaemon(true);
                    t.start();
                    validator = v;
                }
            }
        }
        return v;
    }

    /**
     * A validator as the facade uses it: the R4 base definitions ({@link Definitions}, parsed as needed), the
     * shipped implementation guides' profiles ({@link ProfilePackages}, loaded when declared), the common code systems, in-memory terminology, snapshots for profiles without one, unknown code systems a
     * warning; HAPI's cache of what it fetched bounded to {@link #CACHED} entries for ten minutes. Warmed up
     * with one validation.
     */
    static FhirValidator newValidator() {
        long started = System.nanoTime();
        Definitions definitions = new Definitions(CONTEXT, TYPES);
        ValidationSupportChain chain = new ValidationSupportChain(
                ValidationSupportChain.CacheConfiguration.defaultValues().setCacheSize(CACHED), definitions,
                new ProfilePackages(CONTEXT, ProfilePackages.SHIPPED),
                new CommonCodeSystemsTerminologyService(CONTEXT),
                new InMemoryTerminologyServerValidationSupport(CONTEXT),
                new SnapshotGeneratingValidationSupport(CONTEXT),
                new UnknownCodeSystemWarningValidationSupport(CONTEXT));
        FhirInstanceValidator module = new FhirInstanceValidator(chain);
        module.setAnyExtensionsAllowed(true);
        // A profile the validator does not have (US Core, a national profile): checked against the base
        // specification only, with a warning, never refused for that alone.
        module.setErrorForUnknownProfiles(false);
        FhirValidator v = CONTEXT.newValidator().registerValidatorModule(module);
        // The first validation builds HAPI's worker context (the core definitions in R5): here, not in a request.
        v.validateWithResult(new org.hl7.fhir.r4.model.Patient().setActive(true));
        LOG.info(() -> String.format("FHIR R4 validator ready in %.1f s (%s)", (System.nanoTime() - started) / 1e9, definitions));
        return v;
    }

    /**
     * What validation found in a resource: the errors (and fatal errors) of the base R4 specification, which
     * refuse it, and the profiles it declares that were not checked because the validator does not have them,
     * which go back to the sender as warnings.
     */
    public record Findings(List<SingleValidationMessage> errors, List<SingleValidationMessage> warnings) {
    }

    /** Validates a resource against the base R4 specification (and the profiles it declares that are known). */
    public static Findings validate(IBaseResource resource) {
        FhirValidator v;
        try {
            v = validatorFuture().join();
        } catch (RuntimeException e) {
            synchronized (Fhir.class) {
                validator = null; // try again next time
            }
            throw new IllegalStateException("the FHIR validator could not be loaded", e);
        }
        List<SingleValidationMessage> messages = TYPES.contains(resource.fhirType())
                ? v.validateWithResult(resource).getMessages() : validateAsEntry(v, (org.hl7.fhir.r4.model.Resource) resource);
        List<SingleValidationMessage> errors = messages.stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .toList();
        List<SingleValidationMessage> warnings = messages.stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.WARNING && unknownProfile(m)).toList();
        // HAPI says it twice: where the profile is declared, and once more without a location.
        List<SingleValidationMessage> located = warnings.stream().filter(m -> m.getLocationString() != null).toList();
        return new Findings(errors, located.isEmpty() ? warnings : located);
    }

    /**
     * Validates a resource of a type whose definition is not parsed up front ({@link #TYPES}) as the one entry of a
     * collection Bundle, and answers the messages about it as if it had been validated alone. HAPI's validator
     * recognises a top-level resource only by the definitions it was given up front (it lists them once), but
     * fetches a bundle entry's definition by URL when it needs it: so a Claim or a CarePlan sent alone, or entry by
     * entry in a large bundle, is validated without parsing every type's definition up front.
     */
    private static List<SingleValidationMessage> validateAsEntry(FhirValidator v, org.hl7.fhir.r4.model.Resource resource) {
        org.hl7.fhir.r4.model.Bundle wrapper = new org.hl7.fhir.r4.model.Bundle().setType(org.hl7.fhir.r4.model.Bundle.BundleType.COLLECTION);
        String id = resource.getIdElement().getIdPart();
        wrapper.addEntry().setResource(resource).setFullUrl(id == null ? "urn:uuid:" + java.util.UUID.randomUUID()
                : "https://ehr-ledger.invalid/fhir/r4/" + resource.fhirType() + "/" + id);
        List<SingleValidationMessage> mine = new java.util.ArrayList<>();
        for (SingleValidationMessage m : v.validateWithResult(wrapper).getMessages()) {
            String at = m.getLocationString();
            java.util.regex.Matcher entry = at == null ? null : ENTRY.matcher(at);
            if (entry != null && entry.lookingAt()) {
                m.setLocationString(resource.fhirType() + at.substring(entry.end()));
                mine.add(m);
            } else if (at == null && unknownProfile(m)) {
                mine.add(m);
            }
            // anything else is about the wrapper (the bundle, the entry's fullUrl), not the resource
        }
        return mine;
    }

    /** Where a message about the wrapper's one entry is: {@code Bundle.entry[0].resource} and HAPI's comment naming it. */
    private static final java.util.regex.Pattern ENTRY = java.util.regex.Pattern.compile(
            "Bundle\\.entry\\[0]\\.resource(/\\*[^*]*\\*/)?");

    /** The errors (and fatal errors) the base R4 specification finds in a resource; empty when it is valid. */
    public static List<SingleValidationMessage> errors(IBaseResource resource) {
        return validate(resource).errors();
    }

    /** Whether a message says that a declared profile was not checked because the validator does not have it. */
    private static boolean unknownProfile(SingleValidationMessage m) {
        String id = m.getMessageId();
        return id != null && id.toUpperCase(java.util.Locale.ROOT).startsWith("VALIDATION_VAL_PROFILE_UNKNOWN");
    }
}

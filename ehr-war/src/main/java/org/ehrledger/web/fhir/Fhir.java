package org.ehrledger.web.fhir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import org.ehrledger.ejb.application.SharedTask;
import org.ehrledger.ejb.application.Turns;
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

    /** The validator, loaded (or loading) in the background by {@link #warmUp()}: waits for it. */
    static FhirValidator validator() {
        try {
            return validatorFuture().join();
        } catch (RuntimeException e) {
            synchronized (Fhir.class) {
                validator = null; // try again next time
            }
            throw new IllegalStateException("the FHIR validator could not be loaded", e);
        }
    }

    /**
     * Validations running at once: one per core. Each is CPU-bound and holds the validator's model of up to
     * {@link #CHUNK_CHARS} of JSON, so more at once only share the cores and multiply that heap (eight importers'
     * bundles validated together kept replica 1 in a full collection every 8 s on the default heap).
     */
    private static final Turns VALIDATIONS = Turns.perCore(60_000,
            "this replica's FHIR validator is busy with other requests; try again in a minute");

    /** Validates a resource against the base R4 specification (and the profiles it declares that are known). */
    public static Findings validate(IBaseResource resource) {
        if (TYPES.contains(resource.fhirType())) {
            FhirValidator v = validator();
            return findings(VALIDATIONS.run(() -> v.validateWithResult(resource)).getMessages());
        }
        return findings(validateTogether(validator(), List.of(resource.fhirType()), List.of(json(resource))).get(0));
    }

    /**
     * At most this many resources are validated together by {@link #validateEach}: HAPI's validator sets up a new
     * core validator for every validation (in HAPI 8.8.1 most of the time of a small resource goes into that set-up),
     * so a large bundle's entries are validated a chunk at a time, not one by one.
     */
    static final int CHUNK_ENTRIES = 100;
    /**
     * ... and at most this many characters of their JSON, which bounds the heap one validation takes (its text, and
     * the validator's model of it); a larger resource is validated alone.
     */
    static final int CHUNK_CHARS = 512 * 1024;

    /**
     * Validates many resources (a large bundle's entries), each exactly as {@link #validate} would alone, in order, a
     * chunk of them at a time ({@link #CHUNK_ENTRIES}, {@link #CHUNK_CHARS}). {@code each} is told each resource's
     * index and findings (none for a {@code null}), in order, and answers whether to go on: once it says no, nothing
     * further is validated.
     */
    static void validateEach(List<? extends IBaseResource> resources, BiPredicate<Integer, Findings> each) {
        validateEach(resources, null, each);
    }

    /**
     * {@link #validateEach(List, BiPredicate)}, with up to one chunk per core validated at once: the calling thread and
     * {@code helpers} (null: the calling thread alone) each take the oldest chunk that no one has started, so a whole
     * history's validation uses the replica's cores (it took 35 % of a 10,000-entry import's time on one core while the
     * other replicas waited). At most one chunk per core is encoded and not yet answered, which bounds the heap as
     * {@link #CHUNK_CHARS} does; the findings still reach {@code each} in order, and once it says no, the chunks not
     * started are not validated.
     */
    static void validateEach(List<? extends IBaseResource> resources, Executor helpers, BiPredicate<Integer, Findings> each) {
        FhirValidator v = validator();
        int ahead = helpers == null ? 1 : Math.max(1, Runtime.getRuntime().availableProcessors());
        Chunks chunks = new Chunks(resources);
        ArrayDeque<Chunk> pending = new ArrayDeque<>();
        try {
            while (chunks.more() || !pending.isEmpty()) {
                while (chunks.more() && pending.size() < ahead) {
                    Chunk c = chunks.next(v);
                    if (!pending.isEmpty()) {
                        c.messages().offer(helpers); // the oldest is the calling thread's to do next
                    }
                    pending.add(c);
                }
                Chunk c = pending.poll();
                c.messages().run();
                for (Chunk later : pending) { // while a helper finishes the oldest, the next no one has started
                    if (c.messages().done()) {
                        break;
                    }
                    later.messages().run();
                }
                List<List<SingleValidationMessage>> messages = c.messages().answer();
                for (int i = c.from(), k = 0; i < c.to(); i++) {
                    Findings f = resources.get(i) == null ? new Findings(List.of(), List.of()) : findings(messages.get(k++));
                    if (!each.test(i, f)) {
                        return;
                    }
                }
            }
        } finally {
            pending.forEach(c -> c.messages().drop());
        }
    }

    /** A chunk of {@link #validateEach}: entries {@code from} to {@code to} (exclusive) and their validation. */
    private record Chunk(int from, int to, SharedTask<List<List<SingleValidationMessage>>> messages) {
    }

    /**
     * Resources cut in order into chunks of at most {@link #CHUNK_ENTRIES} resources and {@link #CHUNK_CHARS}
     * characters of JSON (a larger resource alone), each encoded when it is cut.
     */
    private static final class Chunks {
        private final List<? extends IBaseResource> resources;
        private int next;
        private String carried; // the JSON of resources[next], encoded but too large for the last chunk

        Chunks(List<? extends IBaseResource> resources) {
            this.resources = resources;
        }

        boolean more() {
            return next < resources.size();
        }

        /** The next chunk, its validation by {@code v} not started. */
        Chunk next(FhirValidator v) {
            int n = resources.size();
            List<String> types = new ArrayList<>();
            List<String> jsons = new ArrayList<>();
            int end = next;
            long chars = 0;
            while (end < n && jsons.size() < CHUNK_ENTRIES) {
                IBaseResource r = resources.get(end);
                if (r != null) {
                    String json = carried != null ? carried : json(r);
                    carried = null;
                    if (!jsons.isEmpty() && chars + json.length() > CHUNK_CHARS) {
                        carried = json;
                        break;
                    }
                    types.add(r.fhirType());
                    jsons.add(json);
                    chars += json.length();
                }
                end++;
            }
            Chunk c = new Chunk(next, end, new SharedTask<>(() -> jsons.isEmpty() ? List.of() : validateTogether(v, types, jsons)));
            next = end;
            return c;
        }
    }

    /**
     * Validates resources (their JSON, as HAPI's validator encodes a resource it is given) as the entries of one
     * collection Bundle, and answers the messages about each as if it had been validated alone: the messages at
     * {@code Bundle.entry[k].resource} are the k-th resource's, located in it; the rest are about the wrapper. Each
     * entry's {@code fullUrl} is a new random {@code urn:uuid:}, so no reference of one entry resolves to another
     * (references are checked as they would be in the resource alone), and no rule of a bundle applies.
     * <p>
     * Why a bundle: HAPI's validator recognises a top-level resource only by the definitions it was given up front
     * ({@link #TYPES}; it lists them once) but fetches a bundle entry's definition by URL when it needs it, so a Claim
     * or a CarePlan is validated without parsing every type's definition up front; and one validation of many entries
     * sets HAPI's core validator up once for all of them ({@link #validateEach}).
     */
    private static List<List<SingleValidationMessage>> validateTogether(FhirValidator v, List<String> types, List<String> jsons) {
        StringBuilder wrapper = new StringBuilder(jsons.stream().mapToInt(String::length).sum() + 80 * jsons.size() + 64)
                .append("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
        for (int k = 0; k < jsons.size(); k++) {
            wrapper.append(k == 0 ? "" : ",").append("{\"fullUrl\":\"urn:uuid:").append(UUID.randomUUID())
                    .append("\",\"resource\":").append(jsons.get(k)).append('}');
        }
        wrapper.append("]}");
        List<List<SingleValidationMessage>> mine = new ArrayList<>(jsons.size());
        jsons.forEach(j -> mine.add(new ArrayList<>()));
        List<SingleValidationMessage> unplaced = new ArrayList<>();
        String all = wrapper.toString();
        for (SingleValidationMessage m : VALIDATIONS.run(() -> v.validateWithResult(all)).getMessages()) {
            String at = m.getLocationString();
            Matcher entry = at == null ? null : ENTRY.matcher(at);
            if (entry != null && entry.lookingAt()) {
                int k = Integer.parseInt(entry.group(1));
                m.setLocationString(types.get(k) + at.substring(entry.end()));
                mine.get(k).add(m);
            } else if (isError(m)) {
                unplaced.add(m);
            }
            // anything else is about the wrapper (the bundle, an entry's fullUrl), not a resource
        }
        if (!unplaced.isEmpty() && jsons.size() > 1) {
            // Not expected: the wrapper breaks no rule of a collection bundle, and its entries cannot refer to one
            // another. Rather than drop an error that might be about one of them, each is validated alone (where an
            // error about the wrapper alone is not the resource's).
            LOG.warning(() -> "FHIR validation of " + jsons.size() + " resources together found errors about no one of them ("
                    + unplaced.get(0).getLocationString() + ": " + unplaced.get(0).getMessage() + "); validating them one by one");
            mine.clear();
            for (int k = 0; k < jsons.size(); k++) {
                mine.add(validateTogether(v, types.subList(k, k + 1), jsons.subList(k, k + 1)).get(0));
            }
        }
        return mine;
    }

    /** Where a message about a wrapper's k-th entry is: {@code Bundle.entry[k].resource} and HAPI's comment naming it. */
    private static final Pattern ENTRY = Pattern.compile("Bundle\\.entry\\[(\\d+)]\\.resource(/\\*[^*]*\\*/)?");

    private static boolean isError(SingleValidationMessage m) {
        return m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL;
    }

    /**
     * What the facade keeps of the validator's messages about a resource: the errors, and the warnings that a
     * declared profile was not checked.
     */
    private static Findings findings(List<SingleValidationMessage> messages) {
        List<SingleValidationMessage> errors = messages.stream().filter(Fhir::isError).toList();
        List<SingleValidationMessage> warnings = messages.stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.WARNING && unknownProfile(m)).toList();
        // HAPI says it twice: where the profile is declared, and once more without a location.
        List<SingleValidationMessage> located = warnings.stream().filter(m -> m.getLocationString() != null).toList();
        return new Findings(errors, located.isEmpty() ? warnings : located);
    }

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

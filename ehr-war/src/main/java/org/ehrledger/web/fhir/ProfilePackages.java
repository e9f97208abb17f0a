package org.ehrledger.web.fhir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import org.hl7.fhir.common.hapi.validation.support.NpmPackageValidationSupport;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Implementation guides whose profiles the validator checks: their FHIR NPM packages, as HL7 publishes them,
 * shipped in the WAR (never downloaded at run time). A package is parsed (HAPI's
 * {@link NpmPackageValidationSupport}) the first time the validator asks for a canonical URL under the guide's
 * base, that is when a resource declares one of its profiles, and kept from then on; a replica that never sees
 * such a resource never pays for it. A declared profile of a guide not shipped here stays a warning
 * ({@link Outcomes#PROFILE_NOT_CHECKED}).
 */
final class ProfilePackages implements IValidationSupport {

    private static final Logger LOG = Logger.getLogger(ProfilePackages.class.getName());

    /**
     * A guide's package on the class path and the base of its canonical URLs (its profiles, value sets and code
     * systems).
     */
    record Guide(String name, String classpath, String canonicalBase) {
    }

    /** The guides shipped: the International Patient Summary, STU2 (what the npm registry serves of it). */
    static final List<Guide> SHIPPED = List.of(new Guide("hl7.fhir.uv.ips 2.0.0",
            "/org/ehrledger/web/fhir/packages/hl7.fhir.uv.ips-2.0.0.tgz", "http://hl7.org/fhir/uv/ips/"));

    private final FhirContext context;
    private final List<Guide> guides;
    private final Map<Guide, IValidationSupport> loaded = new ConcurrentHashMap<>();

    ProfilePackages(FhirContext context, List<Guide> guides) {
        this.context = context;
        this.guides = List.copyOf(guides);
    }

    /** The support of the guide whose canonical base the URL is under, loading its package once; null if none. */
    private IValidationSupport guideOf(String url) {
        if (url == null) {
            return null;
        }
        for (Guide g : guides) {
            if (url.startsWith(g.canonicalBase())) {
                return loaded.computeIfAbsent(g, this::load);
            }
        }
        return null;
    }

    private IValidationSupport load(Guide guide) {
        long started = System.nanoTime();
        NpmPackageValidationSupport support = new NpmPackageValidationSupport(context);
        try {
            support.loadPackageFromClasspath("classpath:" + guide.classpath());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the profile package " + guide.name(), e);
        }
        LOG.info(() -> String.format("FHIR profile package %s loaded in %.1f s (%d profiles)", guide.name(),
                (System.nanoTime() - started) / 1e9, support.fetchAllStructureDefinitions().size()));
        return support;
    }

    // ---- IValidationSupport: answers only for URLs under a shipped guide's base ---------------------------------

    @Override
    public FhirContext getFhirContext() {
        return context;
    }

    @Override
    public String getName() {
        return "EHR Ledger profile packages (loaded when declared)";
    }

    @Override
    public IBaseResource fetchStructureDefinition(String url) {
        IValidationSupport s = guideOf(url);
        return s == null ? null : s.fetchStructureDefinition(url);
    }

    @Override
    public IBaseResource fetchValueSet(String url) {
        IValidationSupport s = guideOf(url);
        return s == null ? null : s.fetchValueSet(url);
    }

    @Override
    public IBaseResource fetchCodeSystem(String url) {
        IValidationSupport s = guideOf(url);
        return s == null ? null : s.fetchCodeSystem(url);
    }

    @Override
    public boolean isValueSetSupported(ValidationSupportContext support, String url) {
        IValidationSupport s = guideOf(url);
        return s != null && s.isValueSetSupported(support, url);
    }

    @Override
    public boolean isCodeSystemSupported(ValidationSupportContext support, String system) {
        IValidationSupport s = guideOf(system);
        return s != null && s.isCodeSystemSupported(support, system);
    }
}

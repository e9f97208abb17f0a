package org.ehrledger.web.fhir;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Run in a fresh JVM by {@link FhirValidatorTest}: the live heap the facade's first use keeps (HAPI's R4 model,
 * parsing and validating the samples of each type, valid and invalid), measured after full collections. Prints
 * {@code retained_mb=<n> errors=<invalid samples found invalid>/<invalid samples> wrong=<valid samples with errors>}.
 * With the argument {@code whole}, measures a validator on HAPI's default support (every definition parsed),
 * as the facade had it before, for comparison; with {@code ips}, then validates a resource declaring an IPS
 * profile without a required element and prints also {@code ips_mb=<what loading the IPS package added>
 * ips_refused=<whether it was refused>}.
 */
public final class ValidatorFootprint {

    private ValidatorFootprint() {
    }

    public static void main(String[] args) throws Exception {
        long before = liveBytes();
        List<FhirValidatorTest.Sample> samples = FhirValidatorTest.samples(); // HAPI's R4 model of these types, too
        FhirValidator validator = args.length > 0 && args[0].equals("whole") ? whole() : Fhir.newValidator();
        int found = 0;
        int invalid = 0;
        int wrong = 0;
        for (FhirValidatorTest.Sample s : samples) {
            boolean errors = validator.validateWithResult(s.resource()).getMessages().stream()
                    .anyMatch(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal());
            if (s.valid()) {
                wrong += errors ? 1 : 0;
            } else {
                invalid++;
                found += errors ? 1 : 0;
            }
        }
        long retained = liveBytes() - before;
        String ips = "";
        if (args.length > 0 && args[0].equals("ips")) {
            // Then a resource declaring an IPS profile: the shipped package is loaded; what it adds.
            boolean refused = !validator.validateWithResult(FhirValidatorTest.ipsCondition(true)).getMessages().stream()
                    .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal()).toList().isEmpty();
            long withIps = liveBytes() - before;
            ips = " ips_mb=" + ((withIps - retained) >> 20) + " ips_refused=" + refused;
        }
        java.lang.ref.Reference.reachabilityFence(validator);
        System.out.println("retained_mb=" + (retained >> 20) + " errors=" + found + "/" + invalid + " wrong=" + wrong + ips);
    }

    /** The validator as the facade built it before: HAPI's default support, every R4 definition parsed. */
    static FhirValidator whole() {
        var ctx = Fhir.context();
        FhirInstanceValidator module = new FhirInstanceValidator(new ValidationSupportChain(
                new DefaultProfileValidationSupport(ctx), new CommonCodeSystemsTerminologyService(ctx),
                new InMemoryTerminologyServerValidationSupport(ctx), new SnapshotGeneratingValidationSupport(ctx),
                new UnknownCodeSystemWarningValidationSupport(ctx)));
        module.setAnyExtensionsAllowed(true);
        return ctx.newValidator().registerValidatorModule(module);
    }

    private static long liveBytes() throws InterruptedException {
        List<Long> used = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used.add(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used.stream().min(Long::compare).orElseThrow();
    }

    static IBaseResource parse(String json) {
        return Fhir.context().newJsonParser().parseResource(json);
    }
}

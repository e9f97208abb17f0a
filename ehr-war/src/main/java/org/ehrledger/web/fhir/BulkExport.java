package org.ehrledger.web.fhir;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import jakarta.ws.rs.core.MultivaluedMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hl7.fhir.r4.model.InstantType;

import org.ehrledger.ejb.domain.model.record.Category;

/**
 * What the HL7 FHIR Bulk Data Access IG (STU 2) asks of an export, apart from running it: the kick-off's
 * headers and parameters, checked once ({@link Parameters#of}), and the output manifest a finished export
 * answers with ({@link #manifest}).
 */
final class BulkExport {

    /** The NDJSON media type the output files are served as. */
    static final String NDJSON = "application/fhir+ndjson";
    /** The {@code _outputFormat} values the IG names for NDJSON (all mean {@link #NDJSON}). */
    static final Set<String> OUTPUT_FORMATS = Set.of(NDJSON, "application/ndjson", "ndjson");
    /** The parameters this server reads; any other one is refused rather than silently ignored. */
    static final Set<String> PARAMETERS = Set.of("_type", "_since", "_outputFormat", "patient");

    private static final ObjectMapper JSON = new ObjectMapper();

    private BulkExport() {
    }

    /**
     * An export's parameters: the resource types asked for (empty: every type the caller may read), the instant
     * resources must have been committed after (null: all), and the patients named (empty: the patients the
     * endpoint implies).
     */
    record Parameters(Set<String> types, Instant since, List<String> patients) {

        /**
         * The kick-off's parameters, or a 400 saying what is wrong: {@code Prefer: respond-async} is required,
         * {@code Accept} is {@code application/fhir+json} (or absent), {@code _outputFormat} is NDJSON, each
         * {@code _type} is a type this server keeps, {@code _since} is a FHIR instant.
         */
        static Parameters of(String prefer, String accept, MultivaluedMap<String, String> q) {
            if (prefer == null || !prefer.toLowerCase(Locale.ROOT).replace(" ", "").contains("respond-async")) {
                throw FhirException.invalid("a bulk export is asynchronous: send 'Prefer: respond-async'");
            }
            if (accept != null && !accept.isBlank() && !accept.contains(Fhir.JSON) && !accept.contains("*/*")) {
                throw FhirException.invalid("a bulk export's kick-off accepts " + Fhir.JSON + " (its errors are OperationOutcomes)");
            }
            for (String name : q.keySet()) {
                if (!PARAMETERS.contains(name)) {
                    throw FhirException.invalid("parameter " + name + " is not supported by $export here; supported: "
                            + String.join(", ", new TreeSet<>(PARAMETERS)));
                }
            }
            String format = q.getFirst("_outputFormat");
            if (format != null && !OUTPUT_FORMATS.contains(format.strip())) {
                throw FhirException.invalid("_outputFormat is " + NDJSON + ", application/ndjson or ndjson");
            }
            Set<String> types = new LinkedHashSet<>();
            for (String type : values(q.get("_type"))) {
                if (!type.equals("Patient") && !RecordTypes.isRecordType(type)) {
                    throw FhirException.invalid("_type " + type + " is not a type kept here; see /fhir/r4/metadata");
                }
                types.add(type);
            }
            Instant since = null;
            String s = q.getFirst("_since");
            if (s != null) {
                try {
                    since = new InstantType(s.strip()).getValue().toInstant();
                } catch (RuntimeException e) {
                    throw FhirException.invalid("_since is a FHIR instant with a time zone, e.g. 2026-01-01T00:00:00Z");
                }
            }
            return new Parameters(Set.copyOf(types), since, values(q.get("patient")));
        }

        /** Whether resources of this type are exported. */
        boolean wants(String type) {
            return types.isEmpty() || types.contains(type);
        }

        /** The record categories holding the types asked for (the patient is read from DEMOGRAPHICS). */
        Set<Category> categories() {
            if (types.isEmpty()) {
                return EnumSet.allOf(Category.class);
            }
            Set<Category> c = EnumSet.of(Category.DEMOGRAPHICS);
            types.stream().filter(t -> !t.equals("Patient")).forEach(t -> c.addAll(RecordTypes.categoriesOf(t)));
            return c;
        }

        /**
         * The categories a caller must read of every patient to export all that is asked: those holding the types
         * asked (DEMOGRAPHICS only when Patient is), every category when no {@code _type} narrows it.
         */
        Set<Category> requiredCategories() {
            if (types.isEmpty()) {
                return EnumSet.allOf(Category.class);
            }
            Set<Category> c = EnumSet.noneOf(Category.class);
            types.forEach(t -> c.addAll(t.equals("Patient") ? EnumSet.of(Category.DEMOGRAPHICS) : RecordTypes.categoriesOf(t)));
            return c;
        }

        /** Whether something committed at {@code millis} is exported. */
        boolean since(long millis) {
            return since == null || millis >= since.toEpochMilli();
        }
    }

    private static List<String> values(List<String> params) {
        List<String> out = new ArrayList<>();
        if (params != null) {
            for (String p : params) {
                for (String v : p.split(",")) {
                    if (!v.isBlank()) {
                        out.add(v.strip());
                    }
                }
            }
        }
        return out;
    }

    /** One output file of the manifest: its resource type, where to download it, and how many resources it holds. */
    record Output(String type, String url, int count) {
    }

    /**
     * The output manifest: when the export's data was read, the kick-off URL, that the files need the same
     * bearer token, the files, and the errors (as OperationOutcome NDJSON files).
     */
    static String manifest(Instant transactionTime, String request, List<Output> output, List<Output> error) {
        ObjectNode m = JSON.createObjectNode();
        m.put("transactionTime", transactionTime.toString());
        m.put("request", request);
        m.put("requiresAccessToken", true);
        files(m.putArray("output"), output);
        files(m.putArray("error"), error);
        return m.toString();
    }

    private static void files(ArrayNode array, List<Output> files) {
        for (Output o : files) {
            array.addObject().put("type", o.type()).put("url", o.url()).put("count", o.count());
        }
    }
}

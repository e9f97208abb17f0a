package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import jakarta.ws.rs.core.MultivaluedMap;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.domain.model.record.Category;

/**
 * {@code _include} and {@code _revinclude} within one patient's record: the records a page's matches refer to
 * ({@code Observation:encounter}, {@code MedicationRequest:medication}, optionally with the target type,
 * {@code Observation:performer:Practitioner}), and the records that refer to them
 * ({@code _revinclude=Provenance:target}, {@code _revinclude=Observation:encounter} on an Encounter search).
 * Only the patient's own records are included, read as any search reads them (the audited chart read of the
 * included types' categories): references to the Patient or outside the record are not followed.
 */
final class Includes {

    /** The most {@code _include} and {@code _revinclude} values of one search. */
    static final int MAX = 10;

    /** One {@code Source:param[:Target]}. */
    record Spec(String source, String param, String target, List<String> paths, Set<String> targets) {

        /** The references of a resource through this parameter ({@code Type/id}). */
        Set<String> references(Resource r) {
            Set<String> out = new LinkedHashSet<>();
            for (String p : paths) {
                Search.values(r, p).forEach(e -> {
                    if (e instanceof Reference ref && ref.getReference() != null) {
                        String v = ref.getReference();
                        String type = v.contains("/") ? v.substring(0, v.indexOf('/')) : "";
                        if (targets.contains(type)) {
                            out.add(v);
                        }
                    }
                });
            }
            return out;
        }
    }

    private Includes() {
    }

    /** The specs of one parameter; a value that is not a reference parameter of a record type is refused. */
    static List<Spec> parse(List<String> values) {
        List<Spec> out = new ArrayList<>();
        if (values == null) {
            return out;
        }
        for (String value : values) {
            String[] parts = value.strip().split(":");
            if (parts.length < 2 || parts.length > 3 || !RecordTypes.isRecordType(parts[0])) {
                throw FhirException.invalid("_include and _revinclude are <record type>:<reference parameter>[:<target type>] "
                        + "(e.g. Observation:encounter); '*' and :iterate are not supported");
            }
            RuntimeResourceDefinition definition = Fhir.context().getResourceDefinition(parts[0]);
            RuntimeSearchParam param = definition.getSearchParam(parts[1]);
            if (param == null || param.getParamType() != RestSearchParameterTypeEnum.REFERENCE) {
                throw FhirException.invalid(parts[1] + " is not a reference search parameter of " + parts[0]);
            }
            Set<String> targets = new LinkedHashSet<>();
            for (String t : param.getTargets().isEmpty() ? RecordTypes.types() : param.getTargets()) {
                if (RecordTypes.isRecordType(t) && (parts.length == 2 || parts[2].equals(t))) {
                    targets.add(t);
                }
            }
            if (targets.isEmpty()) {
                throw FhirException.invalid(value + " names no type kept in a patient's record (read the Patient by id)");
            }
            out.add(new Spec(parts[0], parts[1], parts.length == 3 ? parts[2] : null, Search.paths(param, parts[0]), targets));
        }
        return out;
    }

    /** The included records of a page of matches of {@code type}, without the matches themselves. */
    static List<Resource> of(Records records, String patient, String type, List<? extends Resource> page,
                             MultivaluedMap<String, String> q) {
        List<Spec> include = parse(q.get("_include"));
        List<Spec> revinclude = parse(q.get("_revinclude"));
        if (include.size() + revinclude.size() > MAX) {
            throw FhirException.invalid("at most " + MAX + " _include and _revinclude values");
        }
        if (include.isEmpty() && revinclude.isEmpty() || page.isEmpty()) {
            return List.of();
        }
        Set<String> matched = new LinkedHashSet<>();
        page.forEach(r -> matched.add(type + "/" + r.getIdElement().getIdPart()));
        Set<String> wanted = new LinkedHashSet<>();
        Set<String> types = new LinkedHashSet<>();
        for (Spec s : include) {
            if (!s.source().equals(type)) {
                throw FhirException.invalid("_include=" + s.source() + ":" + s.param() + " names another type than " + type);
            }
            page.forEach(r -> wanted.addAll(s.references(r)));
            types.addAll(s.targets());
        }
        for (Spec s : revinclude) {
            if (!s.targets().contains(type)) {
                throw FhirException.invalid("_revinclude=" + s.source() + ":" + s.param() + " does not refer to " + type);
            }
            types.add(s.source());
        }
        Set<Category> categories = EnumSet.noneOf(Category.class);
        types.forEach(t -> categories.addAll(RecordTypes.categoriesOf(t)));
        Map<String, Resource> out = new LinkedHashMap<>();
        for (var o : records.read(patient, categories)) {
            if (o.record().erased()) {
                continue;
            }
            Resource r = Resources.resource(o);
            String key = r.fhirType() + "/" + o.record().id();
            if (matched.contains(key)) {
                continue;
            }
            boolean included = wanted.contains(key) || revinclude.stream().anyMatch(s -> s.source().equals(r.fhirType())
                    && s.references(r).stream().anyMatch(matched::contains));
            if (included) {
                out.put(key, r);
            }
        }
        return List.copyOf(out.values());
    }
}

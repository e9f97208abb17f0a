package org.ehrledger.web.fhir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

import jakarta.ws.rs.core.MultivaluedMap;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Searches: which parameters a search takes, their values (tokens, patients, dates, page sizes, the
 * {@code :missing} modifier) and the searchset pages, with {@code next} and {@code previous} links, that answer them.
 */
final class Search {

    /** Parameters every search takes. */
    private static final Set<String> COMMON = Set.of("_format", "_pretty", "_count", "_cursor", "_after", "_summary");
    /** The parameter of a search that pages forward only: the id of the last record the previous page read. */
    static final String FORWARD = "_after";
    static final int DEFAULT_COUNT = 50;
    static final int MAX_COUNT = 200;
    /** The modifier asking whether a parameter's elements are absent ({@code true}) or present ({@code false}). */
    static final String MISSING = ":missing";

    private Search() {
    }

    /** Refuses any parameter but the common ones and {@code names}. */
    static void allow(MultivaluedMap<String, String> q, String... names) {
        for (String k : q.keySet()) {
            if (!COMMON.contains(k) && !List.of(names).contains(k)) {
                throw FhirException.invalid("unsupported search parameter " + k + (names.length == 0 ? ""
                        : "; supported: " + String.join(", ", names)));
            }
        }
    }

    /** The first value of a parameter, stripped, or {@code otherwise} when absent or blank. */
    static String first(MultivaluedMap<String, String> q, String name, String otherwise) {
        String v = q.getFirst(name);
        return v == null || v.isBlank() ? otherwise : v.strip();
    }

    /** The value of a token search {@code system|value} with the given system (or a bare value). */
    static String token(String token, String system) {
        if (token == null || token.isBlank()) {
            return null;
        }
        int bar = token.indexOf('|');
        if (bar < 0) {
            return token.strip();
        }
        if (!token.substring(0, bar).equals(system)) {
            throw FhirException.invalid("identifiers here have system " + system);
        }
        return token.substring(bar + 1).strip();
    }

    /**
     * The patient a search names ({@code <id>} or {@code Patient/<id>}); a patient who names none means
     * themselves.
     */
    static String patient(FhirRequest request, String value) {
        if (value == null || value.isBlank()) {
            if (request.is(Role.PATIENT)) {
                return request.caller();
            }
            throw FhirException.invalid("name the patient: patient=<patient id> (or subject=Patient/<patient id>)");
        }
        String v = value.strip();
        return v.startsWith("Patient/") ? v.substring("Patient/".length()) : v;
    }

    /**
     * A searchset page, in the given order, with a {@code next} link while more match and a {@code previous} link
     * after the first page (each names the last resource before its page as {@code _cursor}).
     */
    static Bundle page(List<? extends Resource> all, FhirRequest request) {
        MultivaluedMap<String, String> q = request.uri().getQueryParameters();
        int count = count(q);
        String cursor = q.getFirst("_cursor");
        int from = 0;
        if (cursor != null) {
            from = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).getIdElement().getIdPart().equals(cursor)) {
                    from = i + 1;
                }
            }
            if (from < 0) {
                throw FhirException.invalid("the _cursor is not in these results any more; search again");
            }
        }
        List<? extends Resource> page = all.subList(Math.min(from, all.size()), Math.min(from + count, all.size()));
        String next = from + count < all.size() ? request.uri().getRequestUriBuilder().replaceQueryParam("_cursor",
                page.get(page.size() - 1).getIdElement().getIdPart()).build().toString() : null;
        String previous = null;
        if (from > 0) {
            int start = Math.max(0, Math.min(from, all.size()) - count);
            Object[] before = start == 0 ? new Object[0] : new Object[] {all.get(start - 1).getIdElement().getIdPart()};
            previous = request.uri().getRequestUriBuilder().replaceQueryParam("_cursor", before).build().toString();
        }
        return searchset(page, next, previous, request).setTotal(all.size());
    }

    /** A searchset bundle of matches with its self link and the given next and previous links (null: none). */
    private static Bundle searchset(List<? extends Resource> page, String next, String previous, FhirRequest request) {
        Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        b.setId(UUID.randomUUID().toString());
        b.getMeta().setLastUpdated(new Date());
        b.addLink().setRelation("self").setUrl(request.uri().getRequestUri().toString());
        if (next != null) {
            b.addLink().setRelation("next").setUrl(next);
        }
        if (previous != null) {
            b.addLink().setRelation("previous").setUrl(previous);
        }
        for (Resource r : page) {
            b.addEntry().setFullUrl(request.base() + "/" + r.getIdElement().getResourceType() + "/" + r.getIdElement().getIdPart())
                    .setResource(r).getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        return b;
    }

    /**
     * A test of instants (epoch millis) against date parameters, all of which must hold: a prefix
     * {@code eq} (default), {@code gt}, {@code ge}, {@code lt} or {@code le}, and a date or date-time at any
     * precision (a day covers the whole day).
     */
    static Predicate<Long> dates(List<String> values) {
        Predicate<Long> all = t -> true;
        if (values == null) {
            return all;
        }
        for (String raw : values) {
            String v = raw.strip();
            String prefix = v.length() > 2 && Character.isLetter(v.charAt(0)) ? v.substring(0, 2) : "eq";
            String date = prefix.equals("eq") && !v.startsWith("eq") ? v : v.substring(2);
            DateTimeType parsed;
            try {
                parsed = new DateTimeType(date);
            } catch (DataFormatException | IllegalArgumentException e) {
                throw FhirException.invalid("'" + raw + "' is not a date search value such as ge2026-01-01 or lt2026-06-01T12:00:00Z");
            }
            long from = parsed.getValue().getTime();
            long to = parsed.getPrecision().add(new Date(from), 1).getTime();
            Predicate<Long> one = switch (prefix) {
                case "eq" -> t -> t >= from && t < to;
                case "ge" -> t -> t >= from;
                case "gt" -> t -> t >= to;
                case "le" -> t -> t < to;
                case "lt" -> t -> t < from;
                default -> throw FhirException.invalid("date prefixes are eq, gt, ge, lt and le, not " + prefix);
            };
            all = all.and(one);
        }
        return all;
    }

    /** The page size a search asks ({@code _count}). */
    static int count(MultivaluedMap<String, String> q) {
        return count(q.getFirst("_count"), DEFAULT_COUNT, MAX_COUNT);
    }

    /**
     * A page of a search that pages forward only (too many candidates to search whole): its matches, a
     * {@code next} link that goes on after {@code after} (a record id; null: nothing follows), no total and no
     * {@code previous} link.
     */
    static Bundle forward(List<? extends Resource> page, String after, FhirRequest request) {
        return searchset(page, after == null ? null : request.uri().getRequestUriBuilder().replaceQueryParam("_cursor")
                .replaceQueryParam(FORWARD, after).build().toString(), null, request);
    }

    /** A page size: {@code fallback} when absent, else 1 to {@code max}. */
    static int count(String value, int fallback, int max) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw FhirException.invalid("_count is a number from 1 to " + max);
    }

    // ---- the content of records: code, category, status, clinical-status, date, encounter, and _sort -----------

    /** Search parameters of the base specification matched against a record's resource, where its type has them. */
    static final List<String> CONTENT = List.of("code", "category", "status", "clinical-status", "date", "encounter");

    /** The content parameters a record type has (as the base specification defines them for it). */
    static List<String> contentOf(String type) {
        RuntimeResourceDefinition definition = Fhir.context().getResourceDefinition(type);
        return CONTENT.stream().filter(n -> definition.getSearchParam(n) != null).toList();
    }

    /**
     * A test of resources against the content parameters of a search, all of which must hold: tokens
     * ({@code system|code}, {@code code}, {@code |code}, {@code system|}; a comma means any of them), dates
     * with prefixes (a period by its start) and the encounter ({@code <id>} or {@code Encounter/<id>}), on the
     * elements the base specification searches for that type.
     */
    static Predicate<Resource> content(String type, MultivaluedMap<String, String> q) {
        RuntimeResourceDefinition definition = Fhir.context().getResourceDefinition(type);
        Predicate<Resource> all = r -> true;
        for (String name : CONTENT) {
            RuntimeSearchParam param = definition.getSearchParam(name);
            if (param == null) {
                continue;
            }
            List<String> paths = paths(param, type);
            for (String missing : q.getOrDefault(name + MISSING, List.of())) {
                all = all.and(missing(paths, name, missing));
            }
            List<String> values = q.get(name);
            if (values == null) {
                continue;
            }
            for (String value : values) {
                Predicate<Resource> one = switch (param.getParamType()) {
                    case TOKEN -> tokens(paths, value);
                    case DATE -> {
                        Predicate<Long> when = dates(List.of(value));
                        yield r -> instants(r, paths).stream().anyMatch(when::test);
                    }
                    case REFERENCE -> {
                        String target = value.strip().contains("/") ? value.strip() : "Encounter/" + value.strip();
                        yield r -> paths.stream().flatMap(p -> values(r, p).stream())
                                .anyMatch(e -> e instanceof Reference ref && target.equals(ref.getReference()));
                    }
                    default -> throw FhirException.invalid(name + " is not searched on " + type + " here");
                };
                all = all.and(one);
            }
        }
        return all;
    }

    /**
     * The order a search asks for with {@code _sort}: {@code _lastUpdated} or {@code date}, descending with a
     * leading {@code -}; null for the default (newest committed first). Resources without a date sort last.
     */
    static Comparator<Resource> sort(String type, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String key = value.strip();
        boolean descending = key.startsWith("-");
        key = descending ? key.substring(1) : key;
        Function<Resource, Long> by;
        if (key.equals("_lastUpdated")) {
            by = r -> r.getMeta().hasLastUpdated() ? r.getMeta().getLastUpdated().getTime() : null;
        } else if (key.equals("date") && Fhir.context().getResourceDefinition(type).getSearchParam("date") != null) {
            List<String> paths = paths(Fhir.context().getResourceDefinition(type).getSearchParam("date"), type);
            by = r -> instants(r, paths).stream().min(Long::compare).orElse(null);
        } else {
            throw FhirException.invalid("_sort is _lastUpdated or date, with a leading - for descending");
        }
        Comparator<Long> order = descending ? Comparator.reverseOrder() : Comparator.naturalOrder();
        return Comparator.comparing(by, Comparator.nullsLast(order));
    }

    /** The element paths of a search parameter for a type, without the type, functions and casts. */
    static List<String> paths(RuntimeSearchParam param, String type) {
        List<String> out = new ArrayList<>();
        for (String raw : param.getPathsSplitForResourceType(type)) {
            String path = raw.strip().replace("(", "").replace(")", "");
            for (String cut : List.of(".where", ".as", " as ", ".ofType")) {
                int at = path.indexOf(cut);
                if (at > 0) {
                    path = path.substring(0, at);
                }
            }
            if (path.startsWith(type + ".")) {
                out.add(path.substring(type.length() + 1));
            }
        }
        return out;
    }

    /** The elements at a dotted path (a choice element by its name without {@code [x]}). */
    static List<IBase> values(IBase root, String path) {
        List<IBase> current = List.of(root);
        for (String segment : path.split("\\.")) {
            List<IBase> next = new ArrayList<>();
            for (IBase element : current) {
                if (Fhir.context().getElementDefinition(element.getClass())
                        instanceof BaseRuntimeElementCompositeDefinition<?> composite) {
                    BaseRuntimeChildDefinition child = composite.getChildByName(segment);
                    if (child == null) {
                        child = composite.getChildByName(segment + "[x]");
                    }
                    if (child != null) {
                        next.addAll(child.getAccessor().getValues(element));
                    }
                }
            }
            current = next;
        }
        return current;
    }

    /** {@code <name>:missing=true}: none of the parameter's elements is there; {@code false}: one is. */
    private static Predicate<Resource> missing(List<String> paths, String name, String value) {
        boolean absent = switch (value.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw FhirException.invalid(name + MISSING + " is true or false");
        };
        return r -> paths.stream().allMatch(p -> values(r, p).stream().allMatch(IBase::isEmpty)) == absent;
    }

    private static Predicate<Resource> tokens(List<String> paths, String value) {
        List<String[]> any = new ArrayList<>();
        for (String one : value.split(",")) {
            int bar = one.indexOf('|');
            any.add(bar < 0 ? new String[] {null, one.strip()} : new String[] {one.substring(0, bar).strip(), one.substring(bar + 1).strip()});
        }
        return r -> paths.stream().flatMap(p -> values(r, p).stream())
                .anyMatch(e -> any.stream().anyMatch(t -> token(e, t[0], t[1])));
    }

    /** Whether an element matches a token: {@code system} null for any system, empty for none; {@code code} empty for any. */
    private static boolean token(IBase e, String system, String code) {
        if (e instanceof CodeableConcept c) {
            return c.getCoding().stream().anyMatch(coding -> token(coding, system, code));
        }
        String s;
        String v;
        if (e instanceof Coding c) {
            s = c.getSystem();
            v = c.getCode();
        } else if (e instanceof Identifier i) {
            s = i.getSystem();
            v = i.getValue();
        } else if (e instanceof IPrimitiveType<?> p) {
            s = null; // a code of the specification's own value set
            v = p.getValueAsString();
            return v != null && (code.isEmpty() || v.equals(code)) && (system == null || system.isEmpty() || code.isEmpty());
        } else {
            return false;
        }
        boolean systemOk = system == null || (system.isEmpty() ? s == null || s.isEmpty() : system.equals(s));
        return systemOk && (code.isEmpty() || code.equals(v));
    }

    /** The instants of a resource's dates at these paths (a period by its start, else its end). */
    private static List<Long> instants(Resource r, List<String> paths) {
        List<Long> out = new ArrayList<>();
        for (String path : paths) {
            for (IBase e : values(r, path)) {
                Date d = null;
                if (e instanceof BaseDateTimeType t) {
                    d = t.getValue();
                } else if (e instanceof Period p) {
                    d = p.hasStart() ? p.getStart() : p.getEnd();
                }
                if (d != null) {
                    out.add(d.getTime());
                }
            }
        }
        return out;
    }
}

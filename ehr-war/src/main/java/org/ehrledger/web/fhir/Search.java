package org.ehrledger.web.fhir;

import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

import jakarta.ws.rs.core.MultivaluedMap;

import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Resource;

import org.ehrledger.ejb.domain.model.registry.Role;

/**
 * Searches: which parameters a search takes, their values (tokens, patients, dates, page sizes) and the
 * searchset pages, with {@code next} links, that answer them.
 */
final class Search {

    /** Parameters every search takes. */
    private static final Set<String> COMMON = Set.of("_format", "_pretty", "_count", "_cursor", "_summary");
    static final int DEFAULT_COUNT = 50;
    static final int MAX_COUNT = 200;

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

    /** A searchset page, in the given order, with a {@code next} link while more match. */
    static Bundle page(List<? extends Resource> all, FhirRequest request) {
        MultivaluedMap<String, String> q = request.uri().getQueryParameters();
        int count = count(q.getFirst("_count"), DEFAULT_COUNT, MAX_COUNT);
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
        Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET).setTotal(all.size());
        b.setId(UUID.randomUUID().toString());
        b.getMeta().setLastUpdated(new Date());
        b.addLink().setRelation("self").setUrl(request.uri().getRequestUri().toString());
        if (from + count < all.size()) {
            b.addLink().setRelation("next").setUrl(request.uri().getRequestUriBuilder().replaceQueryParam("_cursor",
                    page.get(page.size() - 1).getIdElement().getIdPart()).build().toString());
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
}

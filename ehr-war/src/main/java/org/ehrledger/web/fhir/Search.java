package org.ehrledger.web.fhir;

import java.util.Date;
import java.util.List;
import java.util.function.Predicate;

import ca.uhn.fhir.parser.DataFormatException;
import org.hl7.fhir.r4.model.DateTimeType;

/** Search parameter values: date comparisons ({@code ge2026-01-01}) and page sizes. */
final class Search {

    private Search() {
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

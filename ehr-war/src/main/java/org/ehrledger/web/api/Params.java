package org.ehrledger.web.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/** Checks of request bodies and query parameters shared by the resources. */
final class Params {

    private Params() {
    }

    static <T> T required(T body, String shape) {
        if (body == null) {
            throw new EhrException(ErrorCode.INVALID_INPUT, "send " + shape);
        }
        return body;
    }

    /** An ISO date (a whole day) or instant; absent: unbounded. */
    static long instant(String value, String name, boolean end) {
        if (value == null || value.isBlank()) {
            return end ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        try {
            if (value.length() == 10) {
                LocalDate d = LocalDate.parse(value);
                return (end ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            return Instant.parse(value).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new EhrException(ErrorCode.INVALID_INPUT, name + " must be a date (2026-11-25) or an instant (2026-11-25T10:00:00Z)");
        }
    }
}

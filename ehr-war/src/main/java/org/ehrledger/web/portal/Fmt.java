package org.ehrledger.web.portal;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;

/** Formatting for pages: times in the replica's time zone, labels for codes. */
@Named("fmt")
@ApplicationScoped
public class Fmt {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("d MMM yyyy, HH:mm:ss", Locale.UK)
            .withZone(ZoneId.systemDefault());
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMM yyyy", Locale.UK)
            .withZone(ZoneId.systemDefault());

    /** A time, or a dash for 0. */
    public String time(long epochMillis) {
        return epochMillis <= 0 ? "—" : TIME.format(Instant.ofEpochMilli(epochMillis));
    }

    /** A day, or "no expiry" for 0. */
    public String day(long epochMillis) {
        return epochMillis <= 0 ? "no expiry" : DAY.format(Instant.ofEpochMilli(epochMillis));
    }

    /** A code such as BREAK_GLASS as "Break-glass". */
    public String label(String code) {
        if (code == null || code.isEmpty()) {
            return "";
        }
        String s = code.toLowerCase(Locale.ROOT).replace("break_glass", "break-glass").replace('_', ' ');
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** CSS class of a badge for a code. */
    public String badge(String code) {
        return "badge badge-" + (code == null ? "none" : code.toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /** The first characters of a hash. */
    public String shortHash(String hex) {
        return hex == null || hex.length() < 16 ? String.valueOf(hex) : hex.substring(0, 16) + "…";
    }
}

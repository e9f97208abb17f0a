package org.ehrledger.ejb.domain.model.record;

/** Emergency access of one practitioner to one patient, with a mandatory reason, until a deadline. */
public record BreakGlass(String patient, String practitioner, String reason, long openedAt, long until) {

    /** Longest grant. */
    public static final long MAX_MINUTES = 240;
    /**
     * Consensus time (2026-12-01T00:00:00Z) from which break-glass needs a confirmed registration (the
     * two-person rule); earlier break-glass grants replay as they were decided.
     */
    public static final long TWO_PERSON_RULE_SINCE = 1_796_083_200_000L;

    /** Whether it is open at a time. */
    public boolean openAt(long at) {
        return at >= openedAt && at < until;
    }
}

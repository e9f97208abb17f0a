package org.ehrledger.ejb.domain.model.record;

/** Emergency access of one practitioner to one patient, with a mandatory reason, until a deadline. */
public record BreakGlass(String patient, String practitioner, String reason, long openedAt, long until) {

    /** Whether it is open at a time. */
    public boolean openAt(long at) {
        return at >= openedAt && at < until;
    }
}

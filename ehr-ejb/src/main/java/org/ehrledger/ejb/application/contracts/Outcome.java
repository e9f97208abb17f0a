package org.ehrledger.ejb.application.contracts;

/** The verdict on one transaction: accepted, or rejected with the reason recorded on chain. */
public record Outcome(boolean accepted, String reason) {

    static Outcome ok() {
        return new Outcome(true, "");
    }

    /** Longest reason recorded (the database column holds 2000 characters; input is never echoed in full). */
    static final int MAX_REASON = 1000;

    static Outcome rejected(String reason) {
        return new Outcome(false, reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason);
    }
}

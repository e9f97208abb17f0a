package org.ehrledger.ejb.application.contracts;

/** The verdict on one transaction: accepted, or rejected with the reason recorded on chain. */
public record Outcome(boolean accepted, String reason) {

    static Outcome ok() {
        return new Outcome(true, "");
    }

    static Outcome rejected(String reason) {
        return new Outcome(false, reason);
    }
}

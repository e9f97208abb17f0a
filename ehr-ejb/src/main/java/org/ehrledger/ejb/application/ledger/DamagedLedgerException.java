package org.ehrledger.ejb.application.ledger;

/** The stored ledger is damaged (see {@link LedgerDamage}): the replica must not run on it. */
public final class DamagedLedgerException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient LedgerDamage damage;

    public DamagedLedgerException(long height, String reason) {
        super(new LedgerDamage(height, reason).summary());
        this.damage = new LedgerDamage(height, reason);
    }

    /** Where and what. */
    public LedgerDamage damage() {
        return damage;
    }
}

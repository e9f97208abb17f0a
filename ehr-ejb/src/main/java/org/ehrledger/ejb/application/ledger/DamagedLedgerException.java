package org.ehrledger.ejb.application.ledger;

/** The stored ledger is damaged (see {@link LedgerDamage}): the replica must not run on it. */
public final class DamagedLedgerException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient LedgerDamage damage;

    public DamagedLedgerException(long height, String reason) {
        super(new LedgerDamage(height, reason).summary());
        this.damage = new LedgerDamage(height, reason);
    }

    /**
     * No block is stored while the world-state tables hold the state after block {@code stateHeight} (a chain emptied
     * behind the replica's back): found at start ({@link LedgerApplication}) or by the check after it ({@link IntegrityCheck}).
     */
    static DamagedLedgerException noBlockBeside(long stateHeight) {
        return new DamagedLedgerException(0, "no block is stored but the world-state tables hold the state after block "
                + stateHeight + " (empty the STATE_* tables with the ledger's, see docs/STATE.md)");
    }

    /** Where and what. */
    public LedgerDamage damage() {
        return damage;
    }
}

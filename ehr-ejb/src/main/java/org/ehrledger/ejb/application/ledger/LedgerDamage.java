package org.ehrledger.ejb.application.ledger;

/**
 * What is wrong with a stored ledger that contradicts itself or the certified chain (its database was
 * edited or corrupted behind the ledger's back). Such a replica serves nothing until it is rebuilt from its
 * peers; the rows stay as they are, for the operator to inspect.
 *
 * @param height the first height at which the stored ledger is wrong, or -1 when the damage is not tied to
 *               one block (a record's stored content that does not match its hash on chain)
 * @param reason what was found, for the operator (no clinical content)
 */
public record LedgerDamage(long height, String reason) {

    /** One line for the log and the status: where and what. */
    public String summary() {
        return "the stored ledger is damaged" + (height >= 0 ? " at height " + height : "") + ": " + reason;
    }

    /** What the operator does next, for replica {@code number} of a local network (1-based, as ci/cluster.sh counts). */
    public static String remedy(int number) {
        return "move its ledger aside and rebuild it from its peers: run ci/cluster.sh repair " + number
                + " (local network), or see docs/OPERATIONS.md 'Repairing a replica' (Payara Server)";
    }
}

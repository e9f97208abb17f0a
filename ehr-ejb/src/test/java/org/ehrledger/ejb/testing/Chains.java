package org.ehrledger.ejb.testing;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.ejb.application.ledger.LedgerApplication;
import org.ehrledger.ejb.domain.model.ledger.Block;

/** A whole chain read through the ledger, block by block (a test's view; the ledger itself reads in pages). */
public final class Chains {

    private Chains() {
    }

    /** Every block of {@code ledger}, genesis first, up to its head. */
    public static List<Block> of(LedgerApplication ledger) {
        List<Block> blocks = new ArrayList<>();
        for (long h = 0; h <= ledger.head().header().height(); h++) {
            blocks.add(ledger.block(h));
        }
        return blocks;
    }
}

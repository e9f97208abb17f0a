package org.ehrledger.ejb.application.ledger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;

/**
 * Verifies this replica's whole stored chain (links, Merkle roots, binding to the ordered requests, commit
 * certificates against the genesis keys). One verification runs at a time and a result is reused for
 * {@value #REUSE_MILLIS} ms, so the public endpoint cannot be used to exhaust the replica.
 */
@ApplicationScoped
public class ChainVerification {

    static final long REUSE_MILLIS = 5_000;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ConsensusGateway gateway;

    private ChainVerifier.Report last;
    private long lastAt;
    private long lastHeight = -1;

    /** A fresh (or at most a few seconds old, same head) verification report. */
    public synchronized ChainVerifier.Report verify() {
        long height = ledger.head().header().height();
        long now = System.currentTimeMillis();
        if (last != null && now - lastAt < REUSE_MILLIS && height == lastHeight) {
            return last;
        }
        var genesis = gateway.genesis();
        ChainVerifier verifier = genesis == null ? ChainVerifier.structural() : new ChainVerifier(genesis);
        last = ledger.verifyStored(verifier);
        lastAt = System.currentTimeMillis();
        lastHeight = height;
        return last;
    }
}

package org.ehrledger.ejb.application.ledger;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Inject;

import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;

/**
 * Verifies this replica's stored chain (links, Merkle roots, binding to the ordered requests, commit
 * certificates against the genesis keys) at a cost nobody can multiply: anyone gets the cached result
 * for the current head, extended by the blocks committed since it was computed; only administrators
 * re-verify the whole chain from genesis, one at a time ({@link VerificationCache}).
 */
@ApplicationScoped
public class ChainVerification {

    /** How long a full verification of an unchanged head is shared instead of run again. */
    static final long FULL_REUSE_MILLIS = 60_000;

    @Inject
    LedgerRuntime ledger;

    @EJB
    ConsensusGateway gateway;

    private VerificationCache cache;

    @PostConstruct
    void init() {
        cache = new VerificationCache(new VerificationCache.Chain() {
            @Override
            public BlockHeader head() {
                return ledger.head().header();
            }

            @Override
            public ChainVerifier.Progress verify(BlockHeader previous, long to) {
                var genesis = gateway.genesis();
                return ledger.verifyStored(genesis == null ? ChainVerifier.structural() : new ChainVerifier(genesis), previous, to);
            }
        }, System::currentTimeMillis, FULL_REUSE_MILLIS);
    }

    /** The verification of the current head: cached, extended by the blocks committed since. */
    public VerificationCache.Result verify() {
        return cache.current();
    }

    /** The whole stored chain verified again from genesis (recent results of the same head shared). */
    public VerificationCache.Result verifyFully() {
        return cache.full();
    }
}

package org.ehrledger.ejb.application.service;

import jakarta.annotation.security.PermitAll;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.ChainVerification;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.infrastructure.consensus.ClusterStatus;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;

/** The network and the chain as this replica sees them: no clinical content. */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class NetworkService {

    @Inject
    ConsensusGateway gateway;

    @Inject
    LedgerRuntime ledger;

    @Inject
    ChainVerification verification;

    /** This replica's status (public: no clinical content). */
    @PermitAll
    public ClusterStatus status() {
        return gateway.status();
    }

    /** A block's header (public: hashes, counts and times only). */
    @PermitAll
    public BlockHeader header(long height) {
        BlockHeader b = ledger.header(height);
        if (b == null) {
            throw new EhrException(ErrorCode.NOT_FOUND, "no block " + height + " yet (head is "
                    + ledger.head().header().height() + ")");
        }
        return b;
    }

    /**
     * Verifies this replica's whole chain as stored in its database: links, Merkle roots, and the
     * commit certificates against the genesis replica keys (public: the report holds no clinical content;
     * one verification at a time, results reused for a few seconds).
     */
    @PermitAll
    public ChainVerifier.Report verifyChain() {
        return verification.verify();
    }
}

package org.ehrledger.ejb.application.service;

import java.util.Base64;

import jakarta.annotation.security.PermitAll;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

import org.ehrledger.consensus.config.ClusterConfig;
import org.ehrledger.consensus.crypto.Ed25519;
import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;
import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.infrastructure.consensus.BlockSync;
import org.ehrledger.ejb.infrastructure.consensus.ConsensusGateway;

/**
 * Serves blocks to other replicas that are catching up. Not for people: the caller is authenticated by
 * its replica signature (genesis keys), checked here, hence no container role.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class ReplicationService {

    @Inject
    ConsensusGateway gateway;

    @Inject
    LedgerRuntime ledger;

    /**
     * Blocks from {@code from} for replica {@code replica}, encoded by {@link BlockSync#encode}.
     *
     * @throws EhrException {@link ErrorCode#UNAUTHENTICATED} unless signed by that replica's key recently
     */
    @PermitAll
    public byte[] blocks(int replica, long from, int max, long time, String signature) {
        ClusterConfig genesis = gateway.genesis();
        if (genesis == null || !genesis.isReplica(replica) || replica == gateway.replicaId()) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "only the other replicas of this network fetch blocks");
        }
        if (Math.abs(System.currentTimeMillis() - time) > BlockSync.MAX_SKEW_MILLIS) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "the request time is too far from this replica's clock");
        }
        byte[] sig;
        try {
            sig = Base64.getUrlDecoder().decode(signature == null ? "" : signature);
        } catch (IllegalArgumentException e) {
            sig = new byte[0];
        }
        int want = Math.max(1, Math.min(max, BlockSync.MAX_BLOCKS));
        if (from < 0 || !Ed25519.verify(genesis.replicaKeys(replica), BlockSync.signedBytes(replica, from, max, time), sig)) {
            throw new EhrException(ErrorCode.UNAUTHENTICATED, "the replica signature does not verify");
        }
        return BlockSync.encode(ledger.serve(from, want));
    }
}

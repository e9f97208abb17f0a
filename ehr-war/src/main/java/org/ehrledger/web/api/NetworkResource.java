package org.ehrledger.web.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.infrastructure.consensus.ClusterStatus;

/** The network and chain as this replica sees them (no clinical content). */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class NetworkResource {

    @Inject
    NetworkService network;

    /** This replica's status: view, primary, last executed sequence, height, head hash, checkpoint, members. */
    @GET
    @Path("cluster")
    public ClusterStatus cluster() {
        return network.status();
    }

    /** A block header. */
    public record Header(long height, String hash, String previousHash, int entryCount, String entriesRoot,
                         String stateDigest, long timestamp, long sequence, String batchDigest) {
        static Header of(BlockHeader h) {
            return new Header(h.height(), h.hash().hex(), h.previousHash().hex(), h.entryCount(), h.entriesRoot().hex(),
                    h.stateDigest().hex(), h.timestamp(), h.sequence(), h.batchDigest().hex());
        }
    }

    /** The header of the block at a height. */
    @GET
    @Path("blocks/{height: [0-9]{1,18}}")
    public Header block(@PathParam("height") long height) {
        return Header.of(network.header(height));
    }

    /** Outcome of verifying the whole stored chain. */
    public record Verification(boolean valid, long blocks, long firstBadHeight, String problem, String headHash) {
    }

    /** Verifies this replica's stored chain (public: no clinical content). */
    @GET
    @Path("blocks/verification")
    public Verification verify() {
        ChainVerifier.Report r = network.verifyChain();
        return new Verification(r.valid(), r.blocks(), r.firstBadHeight(), r.problem(), r.headHash().hex());
    }
}

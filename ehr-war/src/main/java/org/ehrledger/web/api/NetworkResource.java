package org.ehrledger.web.api;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ejb.EJB;
import jakarta.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.ehrledger.ejb.application.ledger.VerificationCache;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;
import org.ehrledger.ejb.infrastructure.consensus.ClusterStatus;

/** The network and chain as this replica sees them (no clinical content). */
@ApplicationScoped
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class NetworkResource {

    @EJB
    NetworkService network;

    /** This replica's status: view, primary, last executed sequence, height, head hash, checkpoint, members. */
    @GET
    @Path("cluster")
    public ClusterStatus cluster() {
        return network.status();
    }

    /**
     * This replica's latency timeline (administrators): per second over the last {@code seconds} (1 to 600,
     * default 600), the requests submitted through this replica that committed or failed, with p50, p99 and
     * maximum latency from submission to committed answer; and the view changes, emergency-state switches
     * and replicas joining or leaving its view in that time. Each replica answers for itself.
     */
    @GET
    @Path("cluster/timeline")
    public NetworkService.Timeline timeline(@QueryParam("seconds") Integer seconds) {
        return network.timeline(seconds == null ? NetworkService.TIMELINE_SECONDS : seconds);
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

    /**
     * Outcome of verifying the stored chain: valid or the first bad height and why, the head it reached,
     * how many blocks this answer checked (0: the cached result), whether it is a full verification from
     * genesis, and when the whole chain was last verified from genesis.
     */
    public record Verification(boolean valid, long blocks, long firstBadHeight, String problem, String headHash,
                               long checked, boolean full, long fullyVerifiedAt) {
        static Verification of(VerificationCache.Result result) {
            ChainVerifier.Report r = result.report();
            return new Verification(r.valid(), r.blocks(), r.firstBadHeight(), r.problem(), r.headHash().hex(),
                    result.checked(), result.full(), result.fullyVerifiedAt());
        }
    }

    /**
     * Verifies this replica's stored chain (public: no clinical content): the cached result for the current
     * head, extended by the blocks committed since; {@code full=true} re-verifies the whole chain from
     * genesis (administrators only).
     */
    @GET
    @Path("blocks/verification")
    public Verification verify(@QueryParam("full") boolean full) {
        return Verification.of(full ? network.verifyChainFully() : network.verifyChain());
    }

    /** The latest blocks, newest first, a page at a time (administrators). */
    @GET
    @Path("blocks")
    public Page<NetworkService.BlockSummary> blocks(@QueryParam("cursor") String cursor, @QueryParam("limit") Integer limit) {
        int size = limit == null ? 50 : limit;
        long below = 0;
        if (cursor != null && !cursor.isBlank()) {
            try {
                below = Long.parseLong(Page.key(cursor));
            } catch (NumberFormatException e) {
                throw new org.ehrledger.ejb.application.EhrException(org.ehrledger.ejb.application.ErrorCode.INVALID_INPUT,
                        "not a cursor this API gave out");
            }
        }
        if (size < 1 || size > 100) {
            throw new org.ehrledger.ejb.application.EhrException(org.ehrledger.ejb.application.ErrorCode.INVALID_INPUT,
                    "limit is 1 to 100");
        }
        List<NetworkService.BlockSummary> page = network.blocks(below, size);
        long last = page.isEmpty() ? 0 : page.get(page.size() - 1).height();
        return new Page<>(page, last > 1 && page.size() == size ? Page.cursor(Long.toString(last)) : null);
    }

    /** One block's transactions: type, signer, verdict; no bodies, no clinical content (administrators). */
    @GET
    @Path("blocks/{height: [0-9]{1,18}}/transactions")
    public NetworkService.BlockSummary transactions(@PathParam("height") long height) {
        return network.block(height);
    }

    /** The receipt of a transaction, for its author: checkable offline with the genesis replica keys. */
    @GET
    @Path("receipts/{height: [0-9]{1,18}}/{index: [0-9]{1,9}}")
    public JsonObject receipt(@PathParam("height") long height, @PathParam("index") int index) {
        return Receipts.json(network.receipt(height, index));
    }
}

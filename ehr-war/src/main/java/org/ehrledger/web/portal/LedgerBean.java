package org.ehrledger.web.portal;

import java.io.Serializable;
import java.util.List;

import jakarta.faces.view.ViewScoped;
import jakarta.ejb.EJB;
import jakarta.inject.Named;

import org.ehrledger.ejb.application.ledger.VerificationCache;
import org.ehrledger.ejb.application.service.NetworkService;
import org.ehrledger.ejb.domain.model.ledger.ChainVerifier;

/** The ledger explorer: blocks, their transactions without clinical content, and chain verification. */
@Named("ledger")
@ViewScoped
public class LedgerBean implements Serializable {

    private static final long serialVersionUID = 1L;
    static final int PAGE = 20;

    @EJB
    NetworkService network;

    private long below;
    private long height;
    private List<NetworkService.BlockSummary> blocks;
    private NetworkService.BlockSummary block;
    private ChainVerifier.Report verification;
    private long verifiedAt;

    /** Loads the page (view action): the list, or one block when a height is given. */
    public void load() {
        blocks = network.blocks(below, PAGE);
        if (height > 0) {
            block = Portal.attempt(() -> network.block(height));
        }
        if (verification == null) {
            show(network.verifyChain()); // a GET: the cached verification, extended by the blocks since
        }
    }

    /** Verifies the whole stored chain again from genesis (the button: a postback). */
    public String verify() {
        show(network.verifyChainFully());
        return null;
    }

    private void show(VerificationCache.Result r) {
        verification = r.report();
        verifiedAt = r.fullyVerifiedAt();
    }

    /** The height below which the next (older) page starts, or 0 if there is none. */
    public long getOlder() {
        return blocks == null || blocks.isEmpty() || blocks.get(blocks.size() - 1).height() <= 1 ? 0
                : blocks.get(blocks.size() - 1).height();
    }

    public List<NetworkService.BlockSummary> getBlocks() { return blocks; }
    public NetworkService.BlockSummary getBlock() { return block; }
    public ChainVerifier.Report getVerification() { return verification; }
    public long getVerifiedAt() { return verifiedAt; }
    public long getBelow() { return below; }
    public void setBelow(long v) { below = v; }
    public long getHeight() { return height; }
    public void setHeight(long v) { height = v; }
}

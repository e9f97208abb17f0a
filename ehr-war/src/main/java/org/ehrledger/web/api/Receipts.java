package org.ehrledger.web.api;

import java.util.Base64;
import java.util.List;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObject;

import org.ehrledger.consensus.api.SignedCommit;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.ejb.application.service.Committed;
import org.ehrledger.ejb.application.service.ReceiptIssuer;
import org.ehrledger.ejb.domain.model.ledger.BlockHeader;
import org.ehrledger.ejb.domain.model.ledger.Receipt;

/**
 * Receipts as JSON: the block header, the entry (the signed transaction and its verdict), the Merkle
 * proof of the entry in the block, the consensus request and its inclusion in the ordered batch, and the
 * commit certificate (2f+1 replica signatures). With the genesis replica keys anyone can check it offline.
 */
final class Receipts {

    private static final JsonBuilderFactory JSON = Json.createBuilderFactory(null);

    private Receipts() {
    }

    /** A committed write and its receipt (fetched right after the commit, from this replica's block). */
    static JsonObject of(Committed c, ReceiptIssuer issuer) {
        var b = JSON.createObjectBuilder().add("transactionId", c.transactionId()).add("blockHeight", c.height())
                .add("transactionIndex", c.index());
        if (c.blockHash() != null) {
            b.add("blockHash", c.blockHash());
            b.add("receipt", json(issuer.issue(c)));
        }
        return b.build();
    }

    static JsonObject json(ReceiptIssuer.CheckedReceipt checked) {
        Receipt r = checked.receipt();
        BlockHeader h = r.header();
        var header = JSON.createObjectBuilder().add("height", h.height()).add("hash", h.hash().hex())
                .add("previousHash", h.previousHash().hex()).add("entryCount", h.entryCount())
                .add("entriesRoot", h.entriesRoot().hex()).add("stateDigest", h.stateDigest().hex())
                .add("timestamp", h.timestamp()).add("sequence", h.sequence()).add("batchDigest", h.batchDigest().hex());
        var entry = JSON.createObjectBuilder().add("transaction", Base64.getEncoder().encodeToString(r.entry().transaction()))
                .add("requestDigest", r.entry().requestDigest().hex()).add("operationIndex", r.entry().operationIndex())
                .add("accepted", r.entry().accepted()).add("reason", r.entry().reason());
        var request = JSON.createObjectBuilder().add("clientId", r.request().clientId()).add("timestamp", r.request().timestamp())
                .add("operationDigests", hexes(r.request().operationDigests()))
                .add("signature", Base64.getEncoder().encodeToString(r.request().signature()));
        var inclusion = JSON.createObjectBuilder().add("timestamp", r.inclusion().timestamp()).add("count", r.inclusion().count())
                .add("index", r.inclusion().index()).add("path", hexes(r.inclusion().path()));
        JsonArrayBuilder commits = JSON.createArrayBuilder();
        for (SignedCommit c : r.certificate()) {
            commits.add(JSON.createObjectBuilder().add("replica", c.replica())
                    .add("signature", Base64.getEncoder().encodeToString(c.signature())));
        }
        return JSON.createObjectBuilder().add("header", header).add("entryIndex", r.entryIndex()).add("entry", entry)
                .add("merkleProof", hexes(r.entryPath())).add("request", request).add("inclusion", inclusion)
                .add("certificate", JSON.createObjectBuilder().add("view", r.view()).add("commits", commits))
                .add("verifiedByThisReplica", checked.verified()).build();
    }

    private static JsonArrayBuilder hexes(List<Digest> digests) {
        JsonArrayBuilder a = JSON.createArrayBuilder();
        digests.forEach(d -> a.add(d.hex()));
        return a;
    }
}

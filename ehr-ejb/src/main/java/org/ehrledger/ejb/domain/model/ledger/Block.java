package org.ehrledger.ejb.domain.model.ledger;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.MerkleTree;
import org.ehrledger.consensus.api.BatchInclusion;
import org.ehrledger.consensus.api.RequestProof;
import org.ehrledger.consensus.api.SignedCommit;

/**
 * A block: header, entries in order, the skeletons of the batch's consensus requests exactly as
 * ordered (client, timestamp, operation digests, client signature), and the commit certificate of that
 * batch (2f+1 replica signatures over view, sequence and batch digest). The skeletons bind every entry
 * to what the replicas signed without keeping any operation bytes twice; the certificate is evidence
 * kept beside the block, not hashed into it: replicas may hold different, equally valid certificates.
 */
public record Block(BlockHeader header, List<LedgerEntry> entries, List<RequestProof> requests, long view,
                    List<SignedCommit> certificate) {

    /** Merkle root over entries. */
    public static Digest entriesRoot(List<LedgerEntry> entries) {
        List<Digest> leaves = new ArrayList<>(entries.size());
        for (LedgerEntry e : entries) {
            leaves.add(e.leafHash());
        }
        return MerkleTree.root(leaves);
    }

    /** The receipt of entry {@code index}: everything needed to check it offline. */
    public Receipt receipt(int index) {
        return receipt(index, leaves());
    }

    /**
     * The Merkle leaves of a block: of its entries (up to the entries root) and of its requests' digests
     * (up to the batch digest). Computing them is most of a receipt's cost; whoever hands out many
     * receipts of one block computes them once.
     */
    public record Leaves(List<Digest> entries, List<Digest> requestDigests, List<Digest> requests) {
    }

    /** This block's {@link Leaves}. */
    public Leaves leaves() {
        List<Digest> entryLeaves = new ArrayList<>(entries.size());
        for (LedgerEntry e : entries) {
            entryLeaves.add(e.leafHash());
        }
        List<Digest> digests = new ArrayList<>(requests.size());
        List<Digest> requestLeaves = new ArrayList<>(requests.size());
        for (RequestProof r : requests) {
            Digest d = r.digest();
            digests.add(d);
            requestLeaves.add(BatchInclusion.leafOf(d));
        }
        return new Leaves(List.copyOf(entryLeaves), List.copyOf(digests), List.copyOf(requestLeaves));
    }

    /** The receipt of entry {@code index}, from this block's precomputed {@link #leaves()}. */
    public Receipt receipt(int index, Leaves leaves) {
        LedgerEntry entry = entries.get(index);
        int requestIndex = leaves.requestDigests().indexOf(entry.requestDigest());
        if (requestIndex < 0) {
            throw new IllegalStateException("entry " + index + " of block " + header.height() + " names no request of its batch");
        }
        BatchInclusion inclusion = new BatchInclusion(header.timestamp(), requests.size(), requestIndex,
                MerkleTree.auditPath(leaves.requests(), requestIndex));
        return new Receipt(header, index, entry, MerkleTree.auditPath(leaves.entries(), index), requests.get(requestIndex),
                inclusion, view, certificate);
    }

    /** The audit path of entry {@code index} up to {@link BlockHeader#entriesRoot()}. */
    public List<Digest> auditPath(int index) {
        List<Digest> leaves = new ArrayList<>(entries.size());
        for (LedgerEntry e : entries) {
            leaves.add(e.leafHash());
        }
        return MerkleTree.auditPath(leaves, index);
    }
}

package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;

/** Protocol state of one sequence number between the low and high watermarks. */
final class Slot {

    final long sequence;
    /** The pre-prepare header accepted for this sequence, in the highest view seen. */
    PrePrepare prePrepare;
    /** Latest prepare of each replica (any view); only those matching {@link #prePrepare} count. */
    final Map<Integer, Prepare> prepares = new HashMap<>();
    /** Latest commit of each replica (any view). */
    final Map<Integer, Commit> commits = new HashMap<>();
    boolean prepareSent;
    boolean commitSent;
    /** Prepared certificate from the highest view in which this sequence prepared here. */
    PreparedProof preparedProof;
    /** Every batch digest accepted for this sequence in any view; their content is kept until stable. */
    final java.util.Set<Digest> knownDigests = new java.util.HashSet<>();
    /** A prepare is owed for the current pre-prepare as soon as its content arrives. */
    boolean prepareDeferred;
    /** Commit certificate once 2f+1 matching commits arrived. */
    List<Commit> certificate;
    long lastFetchAt = Long.MIN_VALUE;

    Slot(long sequence) {
        this.sequence = sequence;
    }

    /** Accepts a pre-prepare in a new view, forgetting per-view flags of older views. */
    void accept(PrePrepare header) {
        if (prePrepare == null || header.view() > prePrepare.view()) {
            prepareSent = false;
            commitSent = false;
            prepareDeferred = false;
        }
        prePrepare = header.header();
        knownDigests.add(header.digest());
    }

    /** Forgets the pre-prepare of an old view whose sequence the new view reassigns; content stays known. */
    void reset() {
        prePrepare = null;
        prepareSent = false;
        commitSent = false;
        prepareDeferred = false;
    }

    Digest digest() {
        return prePrepare == null ? null : prePrepare.digest();
    }

    List<Prepare> matchingPrepares() {
        List<Prepare> out = new ArrayList<>();
        if (prePrepare == null) {
            return out;
        }
        for (Prepare p : prepares.values()) {
            if (p.view() == prePrepare.view() && p.digest().equals(prePrepare.digest())) {
                out.add(p);
            }
        }
        return out;
    }

    /** Commits that agree on a view and digest with at least {@code quorum} members, or null. */
    List<Commit> commitQuorum(int quorum) {
        if (commits.size() < quorum) {
            return null;
        }
        Map<String, List<Commit>> groups = new HashMap<>();
        for (Commit c : commits.values()) {
            List<Commit> g = groups.computeIfAbsent(c.view() + "/" + c.digest().hex(), k -> new ArrayList<>());
            g.add(c);
            if (g.size() >= quorum) {
                g.sort(java.util.Comparator.comparingInt(Commit::replica));
                return List.copyOf(g.subList(0, quorum));
            }
        }
        return null;
    }
}

package org.ehrledger.consensus.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.api.Verifier;
import org.ehrledger.consensus.api.ClusterConfig;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.CommittedBatch;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.PreparedProof;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.RequestKey;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;

/**
 * Checks everything about a message that does not depend on a replica's state: who may send it, its
 * signatures, and the certificates it carries (checkpoint proofs, prepared certificates, commit
 * certificates, view changes and the derivation of a new view). Thread-safe, and stateless but for a small
 * cache of the new views it proved valid, so the host can run it on many threads before handing messages to the
 * single-threaded core.
 */
public final class MessageValidator {

    private final ClusterConfig config;
    private final Verifier verifier;

    /**
     * How many new views proven valid are remembered, by the digest of all they carry: a new view travels again
     * in every state response of its view (to a replica that may still be changing views), and checking one
     * verifies hundreds of signatures (2f+1 view changes, each with the prepared certificates of up to L
     * sequences). Measured before this: after a view change under load, the backups spent 20-45 % of their CPU
     * verifying the same new view again, state response after state response (docs/PERFORMANCE.md).
     */
    static final int VALID_NEW_VIEWS = 8;

    /** Digests of the new views proven valid, least recently used first (bounded, guarded by itself). */
    private final Map<Digest, Boolean> validNewViews = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Digest, Boolean> eldest) {
            return size() > VALID_NEW_VIEWS;
        }
    };

    /** Creates a validator for one cluster. */
    public MessageValidator(ClusterConfig config, Verifier verifier) {
        this.config = config;
        this.verifier = verifier;
    }

    /** Returns null if the message from {@code envelope.sender()} is acceptable, else the reason. */
    public String check(Envelope envelope) {
        int from = envelope.sender();
        Message m = envelope.message();
        boolean fromReplica = config.isReplica(from);
        if (m instanceof Request r) {
            return validRequest(r) ? null : "request with unknown client or bad signature";
        } else if (m instanceof PrePrepare pp) {
            return !fromReplica || from != config.primary(pp.view()) ? "pre-prepare not from the primary"
                    : validPrePrepare(pp);
        } else if (m instanceof Prepare p) {
            return p.replica() != from ? "prepare relayed" : validPrepare(p) ? null : "bad prepare";
        } else if (m instanceof Commit c) {
            return c.replica() != from ? "commit relayed" : validCommit(c) ? null : "bad commit";
        } else if (m instanceof Checkpoint c) {
            return c.replica() != from ? "checkpoint relayed" : validCheckpoint(c) ? null : "bad checkpoint";
        } else if (m instanceof ViewChange vc) {
            return vc.replica() != from ? "view change relayed" : validViewChange(vc);
        } else if (m instanceof NewView nv) {
            // Self-validating (signed by its primary), so any replica may relay it to a lagging one.
            return fromReplica ? validNewView(nv) : "new view from a client";
        } else if (m instanceof StateResponse sr) {
            return fromReplica ? validStateResponse(sr) : "state response from a client";
        } else if (m instanceof ReplyBatch rb) {
            return rb.replica() == from && fromReplica ? null : "reply not from its replica";
        } else {
            // StateRequest, FetchBatch, BatchContent: replica-to-replica, content checked by the core.
            return fromReplica ? null : m.type() + " from a client";
        }
    }

    /** A request is valid when its client is admitted and the signature verifies. */
    public boolean validRequest(Request r) {
        return r.encodedSize() <= config.maxRequestBytes() && verifier.isKnownClient(r.clientId()) && verifier.verify(r.clientId(), r.signedBytes(), r.signature());
    }

    boolean validPrePrepareHeader(PrePrepare pp) {
        return pp.sequence() > 0
                && verifier.verify(config.primary(pp.view()), pp.signedBytes(), pp.signature());
    }

    private String validPrePrepare(PrePrepare pp) {
        if (pp.batch() == null) {
            return "pre-prepare without its batch";
        }
        if (!validPrePrepareHeader(pp)) {
            return "pre-prepare with a bad primary signature";
        }
        if (!pp.batch().digest().equals(pp.digest())) {
            return "pre-prepare whose batch does not match its digest";
        }
        if (pp.batch().isEmpty()) {
            return "pre-prepare of an empty batch (only a new view may fill a gap, with the null batch)";
        }
        if (pp.batch().byteSize() > config.maxBatchBytes()) {
            return "pre-prepare of a batch larger than " + config.maxBatchBytes() + " bytes";
        }
        Set<RequestKey> keys = new HashSet<>();
        for (Request r : pp.batch().requests()) {
            if (!keys.add(r.key())) {
                return "pre-prepare with a request twice";
            }
            if (!validRequest(r)) {
                return "pre-prepare with a forged or revoked request " + r;
            }
        }
        return null;
    }

    boolean validPrepare(Prepare p) {
        return config.isReplica(p.replica()) && p.replica() != config.primary(p.view())
                && verifier.verify(p.replica(), p.signedBytes(), p.signature());
    }

    boolean validCommit(Commit c) {
        return config.isReplica(c.replica()) && verifier.verify(c.replica(), c.signedBytes(), c.signature());
    }

    boolean validCheckpoint(Checkpoint c) {
        return config.isReplica(c.replica()) && verifier.verify(c.replica(), c.signedBytes(), c.signature());
    }

    /** Digest certified by a checkpoint proof for {@code sequence}; {@code null} if the proof is invalid. Sequence 0 needs no proof. */
    Digest checkpointProofDigest(List<Checkpoint> proof, long sequence) {
        if (sequence == 0) {
            return proof.isEmpty() ? GENESIS : null;
        }
        if (proof.size() < config.quorum()) {
            return null;
        }
        Digest digest = proof.get(0).stateDigest();
        Set<Integer> signers = new HashSet<>();
        for (Checkpoint c : proof) {
            if (c.sequence() != sequence || !c.stateDigest().equals(digest) || !signers.add(c.replica())
                    || !validCheckpoint(c)) {
                return null;
            }
        }
        return digest;
    }

    /** Placeholder digest of the genesis state, which every replica starts from. */
    static final Digest GENESIS = Digest.of(new byte[Digest.LENGTH]);

    boolean validPreparedProof(PreparedProof proof) {
        PrePrepare pp = proof.prePrepare();
        if (!validPrePrepareHeader(pp) || proof.prepares().size() < 2 * config.f()) {
            return false;
        }
        Set<Integer> signers = new HashSet<>();
        for (Prepare p : proof.prepares()) {
            if (p.view() != pp.view() || p.sequence() != pp.sequence() || !p.digest().equals(pp.digest())
                    || !signers.add(p.replica()) || !validPrepare(p)) {
                return false;
            }
        }
        return true;
    }

    String validViewChange(ViewChange vc) {
        if (!config.isReplica(vc.replica()) || !verifier.verify(vc.replica(), vc.signedBytes(), vc.signature())) {
            return "view change with a bad signature";
        }
        if (checkpointProofDigest(vc.checkpointProof(), vc.stableSequence()) == null) {
            return "view change with an invalid checkpoint proof";
        }
        Set<Long> sequences = new HashSet<>();
        for (PreparedProof p : vc.prepared()) {
            long n = p.prePrepare().sequence();
            if (n <= vc.stableSequence() || n > vc.stableSequence() + config.watermarkWindow()
                    || p.prePrepare().view() >= vc.newView() || !sequences.add(n) || !validPreparedProof(p)) {
                return "view change with an invalid prepared certificate for sequence " + n;
            }
        }
        return null;
    }

    /**
     * What a new view must contain, derived deterministically from 2f+1 view changes: min-s, the view
     * change carrying its checkpoint proof, and the digest to re-propose at each sequence of O.
     */
    public record Derivation(long minSequence, ViewChange checkpointSource, TreeMap<Long, Digest> proposals) {
    }

    /** Derives the new view's pre-prepares: the highest-view prepared batch per sequence, else a null batch. */
    public static Derivation derive(List<ViewChange> viewChanges) {
        ViewChange source = viewChanges.get(0);
        for (ViewChange vc : viewChanges) {
            if (vc.stableSequence() > source.stableSequence()) {
                source = vc;
            }
        }
        long minS = source.stableSequence();
        Map<Long, PrePrepare> best = new TreeMap<>();
        for (ViewChange vc : viewChanges) {
            for (PreparedProof p : vc.prepared()) {
                PrePrepare pp = p.prePrepare();
                if (pp.sequence() <= minS) {
                    continue;
                }
                PrePrepare current = best.get(pp.sequence());
                if (current == null || pp.view() > current.view()) {
                    best.put(pp.sequence(), pp);
                }
            }
        }
        long maxS = best.isEmpty() ? minS : ((TreeMap<Long, PrePrepare>) best).lastKey();
        TreeMap<Long, Digest> proposals = new TreeMap<>();
        for (long n = minS + 1; n <= maxS; n++) {
            PrePrepare pp = best.get(n);
            proposals.put(n, pp == null ? Batch.NULL.digest() : pp.digest());
        }
        return new Derivation(minS, source, proposals);
    }

    String validNewView(NewView nv) {
        byte[] signed = nv.signedBytes();
        // The digest covers everything the new view carries (its view changes in full, with their signatures and
        // certificates; its pre-prepare headers) and its own signature: another message cannot share it.
        byte[] all = java.util.Arrays.copyOf(signed, signed.length + nv.signature().length);
        System.arraycopy(nv.signature(), 0, all, signed.length, nv.signature().length);
        Digest whole = Digest.sha256(all);
        synchronized (validNewViews) {
            if (validNewViews.get(whole) != null) {
                return null;
            }
        }
        String problem = checkNewView(nv, signed);
        if (problem == null) {
            synchronized (validNewViews) {
                validNewViews.put(whole, Boolean.TRUE);
            }
        }
        return problem;
    }

    private String checkNewView(NewView nv, byte[] signed) {
        if (!verifier.verify(config.primary(nv.view()), signed, nv.signature())) {
            return "new view with a bad signature";
        }
        if (nv.viewChanges().size() < config.quorum()) {
            return "new view with fewer than 2f+1 view changes";
        }
        Set<Integer> senders = new HashSet<>();
        for (ViewChange vc : nv.viewChanges()) {
            if (vc.newView() != nv.view() || !senders.add(vc.replica())) {
                return "new view with a duplicate or mismatched view change";
            }
            String problem = validViewChange(vc);
            if (problem != null) {
                return "new view containing a " + problem;
            }
        }
        Derivation d = derive(nv.viewChanges());
        List<Long> expected = new ArrayList<>(d.proposals().keySet());
        if (nv.prePrepares().size() != expected.size()) {
            return "new view whose pre-prepares do not follow from its view changes";
        }
        for (int i = 0; i < expected.size(); i++) {
            PrePrepare pp = nv.prePrepares().get(i);
            long n = expected.get(i);
            if (pp.view() != nv.view() || pp.sequence() != n || !pp.digest().equals(d.proposals().get(n))
                    || !validPrePrepareHeader(pp)) {
                return "new view whose pre-prepare for sequence " + n + " does not follow from its view changes";
            }
        }
        return null;
    }

    /** A commit certificate: 2f+1 distinct valid commits for the pre-prepare's view, sequence and digest. */
    boolean validCommitCertificate(PrePrepare pp, List<Commit> certificate) {
        if (certificate.size() < config.quorum()) {
            return false;
        }
        Set<Integer> signers = new HashSet<>();
        for (Commit c : certificate) {
            if (c.view() != pp.view() || c.sequence() != pp.sequence() || !c.digest().equals(pp.digest())
                    || !signers.add(c.replica()) || !validCommit(c)) {
                return false;
            }
        }
        return true;
    }

    private String validStateResponse(StateResponse sr) {
        Digest certified = checkpointProofDigest(sr.checkpointProof(), sr.stableSequence());
        if (certified == null) {
            return "state response with an invalid checkpoint proof";
        }
        if (sr.snapshot() != null && !Digest.sha256(sr.snapshot()).equals(certified)) {
            return "state response whose snapshot does not match its certified digest";
        }
        for (CommittedBatch cb : sr.batches()) {
            PrePrepare pp = cb.prePrepare();
            if (pp.batch() == null || !pp.batch().digest().equals(pp.digest())
                    || !validCommitCertificate(pp, cb.certificate())) {
                return "state response with a batch lacking a valid commit certificate at " + pp.sequence();
            }
        }
        if (sr.latestNewView() != null) {
            String problem = validNewView(sr.latestNewView());
            if (problem != null) {
                return "state response carrying a " + problem;
            }
        }
        return null;
    }
}

package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.ehrledger.consensus.core.MessageValidator;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Commit;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.NewView;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.Prepare;
import org.ehrledger.consensus.message.Request;
import org.ehrledger.consensus.message.StateResponse;
import org.ehrledger.consensus.message.ViewChange;

/**
 * A Byzantine replica that attacks on its own account, beyond rewriting what its honest code sends. It
 * reads everything addressed to it (view changes, requests, checkpoints), remembers what it said, and
 * uses its own keys to build whatever validly signed message serves an attack: which view changes go
 * into its new-view message and to whom, pre-prepares below min-s or outside O, withheld checkpoints,
 * stale state, conflicting votes, replays of old views. Everything it sends is authenticated as itself;
 * it never holds another replica's keys.
 */
public final class Adversary implements SimulatedNetwork.Interceptor {

    /** What the Byzantine replica does. */
    public enum Attack {
        /** As new primary, builds its new view from the 2f+1 view changes that carry the least. */
        SELECTIVE_NEW_VIEW,
        /** As new primary, sends differently composed (each valid) new views to different replicas. */
        EQUIVOCATING_NEW_VIEW,
        /**
         * As primary, also pre-prepares (and commits) other batches, made of real requests, for sequences at
         * or below the new view's min-s, inside O, and just above it.
         */
        PRE_PREPARE_OUTSIDE_O,
        /** Never sends its checkpoints to the victims. */
        WITHHOLD_CHECKPOINTS,
        /** Answers every state request with the first (oldest) validly signed state it ever sent. */
        STALE_STATE,
        /** As a backup, sends the victims prepares and commits for another digest than the others get. */
        CONFLICTING_VOTES,
        /** Now and then re-sends an old message of its own (often of an earlier view). */
        REPLAY_OLD,
        /**
         * As primary, with each pre-prepare it sends, also pre-prepares batches as large as a batch may be, made of
         * real requests it saw, for the sequences above it to the top of the window (its honest code's own
         * proposals for them come later: equivocation), to make the backups hold as much as the window allows.
         */
        FLOOD_WINDOW
    }

    private final SimCluster cluster;
    private final int faulty;
    private final EnumSet<Attack> attacks;
    private final Set<Integer> victims;
    private final Random random;
    private final NodeCrypto own;
    /** View changes received or sent, by view then replica. */
    private final TreeMap<Long, Map<Integer, ViewChange>> viewChanges = new TreeMap<>();
    /** Client requests seen, a bounded pool to build forged batches from. */
    private final LinkedHashMap<String, Request> requests = new LinkedHashMap<>();
    /** Messages this replica sent, a bounded pool to replay from. */
    private final List<Message> sent = new ArrayList<>();
    private StateResponse oldestState;
    /** The newest new view this replica announced as primary. */
    private NewView latestNewView;
    /** Per view and sequence, the flood's pre-prepare with its batch (made and signed once). */
    private final LinkedHashMap<String, PrePrepare> floods = new LinkedHashMap<>();
    /** Per view and sequence, the forged batch (the same one for every victim, so that they can agree on it). */
    private final Map<String, Batch> forged = new HashMap<>();

    /**
     * @param cluster the cluster (for the faulty replica's crypto and the simulated clock)
     * @param faulty  the Byzantine replica
     * @param attacks what it does
     * @param victims the replicas that get its withheld, conflicting or equivocating treatment
     * @param seed    its random choices
     */
    public Adversary(SimCluster cluster, int faulty, Set<Attack> attacks, Set<Integer> victims, long seed) {
        this.cluster = cluster;
        this.faulty = faulty;
        this.attacks = attacks.isEmpty() ? EnumSet.noneOf(Attack.class) : EnumSet.copyOf(attacks);
        this.victims = Set.copyOf(victims);
        this.random = new Random(seed);
        this.own = cluster.cryptoOf(faulty);
        cluster.markFaulty(faulty);
    }

    @Override
    public List<byte[]> intercept(int from, int to, byte[] frame) {
        if (to == faulty) {
            try {
                observe(Envelope.open(own, frame).message());
            } catch (RuntimeException unreadable) {
                // a forged or damaged frame: the replica drops it too
            }
            return List.of(frame);
        }
        if (from != faulty || !cluster.config().isReplica(to)) {
            return List.of(frame);
        }
        Message m = Envelope.open(cluster.cryptoOf(to), frame).message();
        observe(m);
        remember(m);
        List<Message> out = new ArrayList<>();
        out.add(m);
        if (m instanceof NewView nv) {
            out.set(0, newView(nv, to));
            latestNewView = nv;
            if (attacks.contains(Attack.PRE_PREPARE_OUTSIDE_O)) {
                out.addAll(outsideO(nv, to));
            }
        } else if (m instanceof PrePrepare && latestNewView != null && attacks.contains(Attack.PRE_PREPARE_OUTSIDE_O)
                && random.nextInt(8) == 0) {
            out.addAll(outsideO(latestNewView, to)); // again later: the victim may not have been in the view yet
        } else if (m instanceof PrePrepare pp && pp.batch() != null && attacks.contains(Attack.FLOOD_WINDOW)) {
            out.addAll(flood(pp));
        } else if (m instanceof Checkpoint && attacks.contains(Attack.WITHHOLD_CHECKPOINTS) && victims.contains(to)) {
            out.clear();
        } else if (m instanceof StateResponse sr && attacks.contains(Attack.STALE_STATE)) {
            if (oldestState == null && sr.snapshot() != null) {
                oldestState = sr;
            }
            if (oldestState != null) {
                out.set(0, oldestState);
            }
        } else if ((m instanceof Prepare || m instanceof Commit) && attacks.contains(Attack.CONFLICTING_VOTES)
                && victims.contains(to)) {
            out.set(0, conflicting(m));
        }
        if (attacks.contains(Attack.REPLAY_OLD) && !sent.isEmpty() && random.nextInt(20) == 0) {
            out.add(sent.get(random.nextInt(sent.size())));
        }
        List<byte[]> frames = new ArrayList<>();
        for (Message msg : out) {
            frames.add(msg == m ? frame : Envelope.seal(own, msg).to(to));
        }
        return frames;
    }

    private void observe(Message m) {
        if (m instanceof ViewChange vc) {
            viewChanges.computeIfAbsent(vc.newView(), v -> new HashMap<>()).put(vc.replica(), vc);
            while (viewChanges.size() > 8) {
                viewChanges.pollFirstEntry();
            }
        } else if (m instanceof Request r) {
            keep(r);
        } else if (m instanceof PrePrepare pp && pp.batch() != null) {
            pp.batch().requests().forEach(this::keep);
        }
    }

    private void keep(Request r) {
        requests.putIfAbsent(r.key().toString(), r);
        if (requests.size() > 256) {
            requests.remove(requests.keySet().iterator().next());
        }
    }

    private void remember(Message m) {
        if (m instanceof Prepare || m instanceof Commit || m instanceof PrePrepare || m instanceof Checkpoint
                || m instanceof ViewChange || m instanceof NewView) {
            sent.add(m);
            if (sent.size() > 512) {
                sent.remove(random.nextInt(sent.size()));
            }
        }
    }

    /** The new view sent to {@code to}: as the honest code built it, or composed to serve an attack. */
    private Message newView(NewView honest, int to) {
        boolean selective = attacks.contains(Attack.SELECTIVE_NEW_VIEW);
        boolean equivocate = attacks.contains(Attack.EQUIVOCATING_NEW_VIEW);
        if (!selective && !equivocate) {
            return honest;
        }
        List<ViewChange> known = new ArrayList<>(viewChanges.getOrDefault(honest.view(), Map.of()).values());
        int quorum = cluster.config().quorum();
        if (known.size() < quorum) {
            return honest;
        }
        // Least information first: fewest prepared certificates, lowest checkpoint.
        known.sort(Comparator.<ViewChange>comparingInt(vc -> vc.prepared().size())
                .thenComparingLong(ViewChange::stableSequence).thenComparingInt(ViewChange::replica));
        if (equivocate && victims.contains(to)) {
            java.util.Collections.reverse(known); // the victims get the view changes that carry the most
        } else if (equivocate) {
            java.util.Collections.rotate(known, to);
        }
        List<ViewChange> chosen = new ArrayList<>(known.subList(0, quorum));
        chosen.sort(Comparator.comparingInt(ViewChange::replica));
        MessageValidator.Derivation d = MessageValidator.derive(chosen);
        List<PrePrepare> prePrepares = new ArrayList<>();
        for (var e : d.proposals().entrySet()) {
            prePrepares.add(new PrePrepare(honest.view(), e.getKey(), e.getValue(),
                    own.sign(PrePrepare.signedBytes(honest.view(), e.getKey(), e.getValue())), null));
        }
        NewView nv = new NewView(honest.view(), List.copyOf(chosen), prePrepares, null);
        return nv.signed(own.sign(nv.signedBytes()));
    }

    /**
     * Pre-prepares of other batches (real, validly signed requests it saw) for sequences the new view does
     * not let it assign, with its own commit for each: every sequence from the lowest checkpoint any view
     * change reported up to min-s (where some replicas may still accept them), and those of O.
     */
    private List<Message> outsideO(NewView nv, int to) {
        if (requests.isEmpty()) {
            return List.of();
        }
        MessageValidator.Derivation d = MessageValidator.derive(nv.viewChanges());
        long lowest = d.minSequence();
        for (ViewChange vc : viewChanges.getOrDefault(nv.view(), Map.of()).values()) {
            lowest = Math.min(lowest, vc.stableSequence());
        }
        List<Long> targets = new ArrayList<>();
        for (long n = Math.max(lowest + 1, d.minSequence() - cluster.config().watermarkWindow() + 1);
             n <= d.minSequence(); n++) {
            targets.add(n);
        }
        targets.addAll(d.proposals().keySet());
        List<Request> pool = new ArrayList<>(requests.values());
        List<Message> out = new ArrayList<>();
        for (long n : targets) {
            Batch b = forged.computeIfAbsent(nv.view() + "/" + n,
                    k -> new Batch(cluster.network().now(), List.of(pool.get(random.nextInt(pool.size())))));
            Digest digest = b.digest();
            if (digest.equals(d.proposals().get(n))) {
                continue;
            }
            out.add(new PrePrepare(nv.view(), n, digest, own.sign(PrePrepare.signedBytes(nv.view(), n, digest)), b));
            out.add(new Commit(nv.view(), n, digest, faulty, own.sign(Commit.signedBytes(nv.view(), n, digest, faulty))));
        }
        return out;
    }

    /**
     * Pre-prepares of the largest batches it can make of real requests for the sequences above {@code pp}, up to
     * a window above it, the same for every replica (so that they agree on them), once per view and sequence.
     */
    private List<Message> flood(PrePrepare pp) {
        if (requests.isEmpty()) {
            return List.of();
        }
        List<Message> out = new ArrayList<>();
        for (long n = pp.sequence() + 1; n < pp.sequence() + cluster.config().watermarkWindow(); n++) {
            long seq = n;
            PrePrepare forgedPp = floods.computeIfAbsent(pp.view() + "/" + n, k -> {
                List<Request> pool = new ArrayList<>(requests.values());
                java.util.Collections.shuffle(pool, random);
                List<Request> chosen = new ArrayList<>();
                int bytes = Batch.EMPTY_BYTES;
                for (Request r : pool) {
                    if (bytes + Batch.entryBytes(r.encodedSize()) > cluster.config().maxBatchBytes()) {
                        break;
                    }
                    chosen.add(r);
                    bytes += Batch.entryBytes(r.encodedSize());
                }
                if (chosen.isEmpty()) {
                    return null; // not kept: tried again with the next pre-prepare
                }
                Batch b = new Batch(pp.batch().timestamp() + seq, chosen);
                return new PrePrepare(pp.view(), seq, b.digest(), own.sign(PrePrepare.signedBytes(pp.view(), seq, b.digest())), b);
            });
            if (forgedPp != null) {
                out.add(forgedPp);
            }
        }
        while (floods.size() > 4_096) {
            floods.remove(floods.keySet().iterator().next());
        }
        return out;
    }

    private Message conflicting(Message m) {
        Digest other = Digest.sha256(new byte[] {(byte) random.nextInt(), (byte) faulty});
        if (m instanceof Prepare p) {
            return new Prepare(p.view(), p.sequence(), other, faulty,
                    own.sign(Prepare.signedBytes(p.view(), p.sequence(), other, faulty)));
        }
        Commit c = (Commit) m;
        return new Commit(c.view(), c.sequence(), other, faulty,
                own.sign(Commit.signedBytes(c.view(), c.sequence(), other, faulty)));
    }
}

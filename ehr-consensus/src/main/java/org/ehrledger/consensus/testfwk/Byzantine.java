package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.crypto.NodeCrypto;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.Checkpoint;
import org.ehrledger.consensus.message.Envelope;
import org.ehrledger.consensus.message.Message;
import org.ehrledger.consensus.message.PrePrepare;
import org.ehrledger.consensus.message.ReplyBatch;
import org.ehrledger.consensus.message.Request;

/**
 * Interceptors that make one replica Byzantine. A Byzantine replica holds its own keys, so whatever it
 * sends is correctly authenticated and signed by it: the rewritten frames are re-signed and re-sealed
 * with the faulty replica's own crypto, never with anyone else's.
 */
public final class Byzantine {

    private Byzantine() {
    }

    /** Opens a frame addressed to {@code to} as its receiver would (needs the receiver's crypto). */
    private static Message open(SimCluster cluster, int to, byte[] frame) {
        return Envelope.open(cluster.cryptoOf(to), frame).message();
    }

    private static SimulatedNetwork.Interceptor rewriting(SimCluster cluster, int faulty,
                                                          Function<RewriteContext, Message> rewrite) {
        NodeCrypto own = cluster.cryptoOf(faulty);
        return (from, to, frame) -> {
            if (from != faulty) {
                return List.of(frame);
            }
            Message m = open(cluster, to, frame);
            Message replaced = rewrite.apply(new RewriteContext(to, m, own));
            if (replaced == null) {
                return List.of();
            }
            if (replaced == m) {
                return List.of(frame);
            }
            return List.of(Envelope.seal(own, replaced).to(to));
        };
    }

    /** What an interceptor sees: the receiver, the original message and the faulty node's own crypto. */
    public record RewriteContext(int to, Message message, NodeCrypto crypto) {
    }

    /**
     * The primary sends a different (validly signed) batch to each backup in {@code victims}: it drops
     * the first request of the batch for them, so different backups see different digests for one sequence.
     */
    public static SimulatedNetwork.Interceptor equivocatingPrimary(SimCluster cluster, int primary, Set<Integer> victims) {
        return rewriting(cluster, primary, ctx -> {
            if (!(ctx.message() instanceof PrePrepare pp) || pp.batch() == null || !victims.contains(ctx.to())
                    || pp.batch().requests().size() < 2) {
                return ctx.message();
            }
            List<Request> reqs = new ArrayList<>(pp.batch().requests());
            // A different, equally valid proposal per victim: rotate the requests by the victim's id.
            Collections.rotate(reqs, 1 + ctx.to());
            reqs.remove(0);
            Batch other = new Batch(pp.batch().timestamp(), reqs);
            Digest d = other.digest();
            byte[] sig = ctx.crypto().sign(PrePrepare.signedBytes(pp.view(), pp.sequence(), d));
            return new PrePrepare(pp.view(), pp.sequence(), d, sig, other);
        });
    }

    /**
     * The primary slips an already executed request (validly signed by its client, seen in an earlier
     * batch) into every later batch, the same way for every backup: an attempt to execute it twice.
     */
    public static SimulatedNetwork.Interceptor replayingPrimary(SimCluster cluster, int primary) {
        List<Request> seen = new ArrayList<>();
        java.util.Map<String, PrePrepare> rewritten = new java.util.HashMap<>();
        return rewriting(cluster, primary, ctx -> {
            if (!(ctx.message() instanceof PrePrepare pp) || pp.batch() == null) {
                return ctx.message();
            }
            PrePrepare done = rewritten.get(pp.view() + "/" + pp.sequence());
            if (done != null) {
                return done;
            }
            List<Request> reqs = new ArrayList<>(pp.batch().requests());
            Request old = seen.isEmpty() ? null : seen.get(0);
            seen.addAll(pp.batch().requests());
            if (old == null || reqs.stream().anyMatch(r -> r.key().equals(old.key()))) {
                rewritten.put(pp.view() + "/" + pp.sequence(), pp);
                return pp;
            }
            reqs.add(old);
            Batch replayed = new Batch(pp.batch().timestamp(), reqs);
            Digest d = replayed.digest();
            PrePrepare forged = new PrePrepare(pp.view(), pp.sequence(), d,
                    ctx.crypto().sign(PrePrepare.signedBytes(pp.view(), pp.sequence(), d)), replayed);
            rewritten.put(pp.view() + "/" + pp.sequence(), forged);
            return forged;
        });
    }

    /** The replica lies to clients: every result it returns is altered (and correctly authenticated). */
    public static SimulatedNetwork.Interceptor lyingReplies(SimCluster cluster, int faulty) {
        return rewriting(cluster, faulty, ctx -> {
            if (!(ctx.message() instanceof ReplyBatch rb)) {
                return ctx.message();
            }
            List<ReplyBatch.Reply> lies = new ArrayList<>();
            for (ReplyBatch.Reply r : rb.replies()) {
                byte[] wrong = r.result().clone();
                wrong[wrong.length - 1] ^= 0x5a; // inside the last result: still decodes, but differs
                lies.add(new ReplyBatch.Reply(r.timestamp(), wrong));
            }
            return new ReplyBatch(rb.replica(), rb.view(), rb.clientId(), lies);
        });
    }

    /** The replica signs checkpoints with a wrong state digest. */
    public static SimulatedNetwork.Interceptor lyingCheckpoints(SimCluster cluster, int faulty) {
        return rewriting(cluster, faulty, ctx -> {
            if (!(ctx.message() instanceof Checkpoint c)) {
                return ctx.message();
            }
            Digest wrong = Digest.sha256(c.stateDigest().bytes());
            return new Checkpoint(c.sequence(), wrong, c.replica(),
                    ctx.crypto().sign(Checkpoint.signedBytes(c.sequence(), wrong, c.replica())));
        });
    }

    /** The replica stays silent towards everyone (a crash that keeps its network connections). */
    public static SimulatedNetwork.Interceptor silent(int faulty) {
        return (from, to, frame) -> from == faulty ? List.of() : List.of(frame);
    }
}

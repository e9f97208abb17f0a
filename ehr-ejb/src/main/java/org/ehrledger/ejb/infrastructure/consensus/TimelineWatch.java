package org.ehrledger.ejb.infrastructure.consensus;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.EventKind;

/**
 * Puts what this replica observes on its {@link LatencyTimeline}: a new view (and its primary), the emergency
 * state coming into force or ending on its executed ledger, and replicas joining or leaving its JGroups view.
 * Sampled every {@value #PERIOD_MILLIS} ms on one thread; nothing is sent to other replicas. The first sample
 * is the baseline (a restart is not an event).
 */
final class TimelineWatch {

    private static final Logger LOG = Logger.getLogger(TimelineWatch.class.getName());
    /** How often the replica's state is sampled. */
    static final long PERIOD_MILLIS = 500;
    /** Longest reason shown with an emergency event. */
    private static final int REASON_CHARS = 80;

    private final LatencyTimeline timeline;
    private final Supplier<ReplicaStatus> status;
    private final Supplier<Set<Integer>> reachable;
    private final Supplier<EmergencyState> emergency;
    private final int n;
    private final LongSupplier clock;

    private boolean started;
    private long sampledAt;
    private long view;
    private boolean inForce;
    private Set<Integer> members = Set.of();

    /**
     * @param status    the replica's status
     * @param reachable the nodes its links reach (replica ids below {@code n}; clients are ignored)
     * @param emergency the emergency state on its executed ledger
     * @param n         replicas in the network
     * @param clock     epoch milliseconds
     */
    TimelineWatch(LatencyTimeline timeline, Supplier<ReplicaStatus> status, Supplier<Set<Integer>> reachable,
                  Supplier<EmergencyState> emergency, int n, LongSupplier clock) {
        this.timeline = timeline;
        this.status = status;
        this.reachable = reachable;
        this.emergency = emergency;
        this.n = n;
        this.clock = clock;
    }

    /** Samples once; never throws (the scheduler would stop sampling). */
    void sample() {
        try {
            long now = clock.getAsLong();
            ReplicaStatus s = status.get();
            Set<Integer> reached = new TreeSet<>();
            for (int id : reachable.get()) {
                if (id >= 0 && id < n) {
                    reached.add(id);
                }
            }
            EmergencyState e = emergency.get();
            boolean force = e.inForceAt(now);
            if (started) {
                if (s.view() != view) {
                    timeline.event(now, EventKind.VIEW_CHANGE, "view " + s.view() + ": primary replica " + (s.primary() + 1));
                }
                List<Integer> joined = reached.stream().filter(id -> !members.contains(id)).toList();
                List<Integer> left = members.stream().filter(id -> !reached.contains(id)).toList();
                if (!joined.isEmpty()) {
                    timeline.event(now, EventKind.REPLICA_JOINED, replicas(joined) + " joined");
                }
                if (!left.isEmpty()) {
                    timeline.event(now, EventKind.REPLICA_LEFT, replicas(left) + " left");
                }
                if (force && !inForce) {
                    // the block that reached the quorum is the moment; the sample only noticed it
                    long at = e.since() > sampledAt && e.since() <= now ? e.since() : now;
                    timeline.event(at, EventKind.EMERGENCY_DECLARED, "emergency state declared: " + shorten(e.reason()));
                } else if (!force && inForce) {
                    timeline.event(now, EventKind.EMERGENCY_ENDED, "emergency state ended");
                }
            }
            started = true;
            sampledAt = now;
            view = s.view();
            members = reached;
            inForce = force;
        } catch (RuntimeException ex) {
            LOG.fine(() -> "timeline not sampled: " + ex);
        }
    }

    /** "replica 3", or "replicas 2, 3 and 4" (numbered from 1): one marker for what one sample saw. */
    static String replicas(List<Integer> ids) {
        if (ids.size() == 1) {
            return "replica " + (ids.get(0) + 1);
        }
        StringBuilder b = new StringBuilder("replicas ");
        for (int i = 0; i < ids.size(); i++) {
            b.append(i == 0 ? "" : i == ids.size() - 1 ? " and " : ", ").append(ids.get(i) + 1);
        }
        return b.toString();
    }

    private static String shorten(String reason) {
        String r = reason == null ? "" : reason.strip();
        return r.length() <= REASON_CHARS ? r : r.substring(0, REASON_CHARS - 1) + "…";
    }
}

package org.ehrledger.ejb.infrastructure.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.ehrledger.consensus.api.ReplicaStatus;
import org.ehrledger.ejb.domain.model.record.EmergencyState;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.Event;
import org.ehrledger.ejb.infrastructure.consensus.LatencyTimeline.EventKind;

class TimelineWatchTest {

    private static final long T0 = 1_800_000_000_000L;

    private final LatencyTimeline timeline = new LatencyTimeline(600);
    private final AtomicLong now = new AtomicLong(T0);
    private final AtomicReference<ReplicaStatus> status = new AtomicReference<>(status(0, 0));
    private final AtomicReference<Set<Integer>> reachable = new AtomicReference<>(Set.of(0, 1, 2, 3, 1_000));
    private final AtomicReference<EmergencyState> emergency = new AtomicReference<>(EmergencyState.NONE);
    private final TimelineWatch watch = new TimelineWatch(timeline, status::get, reachable::get, emergency::get, 4, now::get);

    private static ReplicaStatus status(long view, int primary) {
        return new ReplicaStatus(1, view, primary, false, 0, 0, 0, false, 0, 0, null);
    }

    private List<Event> events() {
        return timeline.snapshot(now.get(), 600).events();
    }

    @Test
    void theFirstSampleIsTheBaselineAndChangesAfterItAreEventsAtTheTimeTheyWereSeen() {
        emergency.set(new EmergencyState(true, "declared before this replica started", T0 - 60_000, T0 + 3_600_000, Set.of()));
        watch.sample();
        assertEquals(List.of(), events(), "a restart is not an event");

        now.set(T0 + 500);
        status.set(status(1, 1));
        reachable.set(Set.of(0, 1, 2, 1_000)); // replica 4 gone; client ids are not replicas
        watch.sample();
        now.set(T0 + 1_000);
        emergency.set(EmergencyState.NONE);
        reachable.set(Set.of(0, 1, 2, 3));
        watch.sample();

        assertEquals(List.of(new Event(T0 + 500, EventKind.VIEW_CHANGE, "view 1: primary replica 2"),
                new Event(T0 + 500, EventKind.REPLICA_LEFT, "replica 4 left"),
                new Event(T0 + 1_000, EventKind.REPLICA_JOINED, "replica 4 joined"),
                new Event(T0 + 1_000, EventKind.EMERGENCY_ENDED, "emergency state ended")), events());
    }

    @Test
    void anEmergencyStateDeclaredBetweenSamplesIsPlacedWhenTheQuorumWasReached() {
        watch.sample();
        now.set(T0 + 500);
        emergency.set(new EmergencyState(true, "Mass-casualty incident", T0 + 320, T0 + 3_600_000, Set.of("a", "b")));
        watch.sample();
        now.set(T0 + 1_000);
        watch.sample();
        assertEquals(List.of(new Event(T0 + 320, EventKind.EMERGENCY_DECLARED,
                "emergency state declared: Mass-casualty incident")), events());
    }

    @Test
    void replicasLeavingInTheSameSampleAreOneEvent() {
        watch.sample();
        now.set(T0 + 500);
        reachable.set(Set.of(0));
        watch.sample();
        assertEquals(List.of(new Event(T0 + 500, EventKind.REPLICA_LEFT, "replicas 2, 3 and 4 left")), events());
        assertEquals("replicas 1 and 2", TimelineWatch.replicas(List.of(0, 1)));
    }

    @Test
    void anEmergencyStateThatExpiresEndsOnTheTimeline() {
        emergency.set(new EmergencyState(true, "short", T0 - 1_000, T0 + 700, Set.of()));
        watch.sample();
        now.set(T0 + 1_000);
        watch.sample();
        assertEquals(EventKind.EMERGENCY_ENDED, events().get(0).kind());
    }

    @Test
    void aFailingSourceSkipsTheSampleWithoutStoppingTheWatch() {
        watch.sample();
        emergency.set(null); // the ledger could not be read
        now.set(T0 + 500);
        watch.sample();
        emergency.set(EmergencyState.NONE);
        status.set(status(2, 2));
        now.set(T0 + 1_000);
        watch.sample();
        assertEquals(List.of(new Event(T0 + 1_000, EventKind.VIEW_CHANGE, "view 2: primary replica 3")), events());
    }
}

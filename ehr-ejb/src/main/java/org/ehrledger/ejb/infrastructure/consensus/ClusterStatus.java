package org.ehrledger.ejb.infrastructure.consensus;

import java.util.List;

import org.ehrledger.consensus.api.LinkStatus;

/**
 * What one replica reports about itself and the network (no clinical content).
 *
 * @param replicaId          this replica's consensus id (0 to n-1)
 * @param state              "running", "waiting-for-peers" (fewer than 2f+1 replicas reachable), "catching-up"
 *                           (state transfer), "stopped" (after an error), "damaged" (its stored ledger was found
 *                           damaged: {@code firstBadHeight}, {@code problem} and {@code remedy} say where, what and
 *                           what to do) or "unconfigured" (with {@code problem} saying why)
 * @param organisation       the organisation this replica belongs to
 * @param n                  replicas in the genesis configuration
 * @param f                  faulty replicas tolerated
 * @param view               current view
 * @param primary            primary of the current view
 * @param viewChange         whether a view change is in progress
 * @param lastExecuted       last executed consensus sequence number
 * @param height             height of the last block
 * @param headHash           hash of the last block (hex)
 * @param records            clinical records on chain (counted at most every {@value ConsensusGateway#RECORD_COUNT_MILLIS} ms;
 *                           -1 while the replica cannot say)
 * @param stableCheckpoint   sequence number of the last stable checkpoint
 * @param stateTransfer      whether the replica is fetching state from peers
 * @param pendingRequests    requests waiting to be ordered here
 * @param members            replica ids this replica currently reaches (itself included)
 * @param links              what this replica's links turned away since it started (forged or replayed hellos,
 *                           frames from the wrong address, TLS peers without a genesis key, ...); null while no
 *                           replica runs ("damaged", "unconfigured") and for callers other than administrators
 * @param inFlight           transactions submitted through this replica and not yet answered
 * @param blockMillis        recent average time to execute and store one block, in milliseconds
 * @param problem            why the replica is not running, or empty
 * @param firstBadHeight     the first damaged height of a damaged ledger (-1 when none, or when the damage is a
 *                           stored content rather than a block)
 * @param remedy             what the operator does next about a damaged ledger, or empty
 * @param integrity          the check of every stored block, state row and content that runs after the start:
 *                           "checking", "verified", "damaged", "unfinished" or "not started"
 * @param integrityProgress  how far that check got, in words (blocks, rows, contents; its time when done)
 */
public record ClusterStatus(int replicaId, String state, String organisation, int n, int f, long view, int primary,
                            boolean viewChange, long lastExecuted, long height, String headHash, long records, long stableCheckpoint,
                            boolean stateTransfer, int pendingRequests, List<Integer> members, LinkStatus links, int inFlight, double blockMillis,
                            String problem, long firstBadHeight, String remedy, String integrity,
                            String integrityProgress) {

    /** The same status without {@code links}, for callers who are not administrators. */
    public ClusterStatus withoutLinks() {
        return new ClusterStatus(replicaId, state, organisation, n, f, view, primary, viewChange, lastExecuted, height,
                headHash, records, stableCheckpoint, stateTransfer, pendingRequests, members, null, inFlight, blockMillis,
                problem, firstBadHeight, remedy, integrity, integrityProgress);
    }
}

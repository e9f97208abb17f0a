package org.ehrledger.consensus.api;

/**
 * An operator's view of a replica at one instant.
 *
 * @param replicaId         this replica's id
 * @param view              current view
 * @param primary           primary of the current view
 * @param viewChangeInProgress whether the replica is between views
 * @param lastExecuted      last executed sequence number
 * @param stableCheckpoint  sequence of the last stable checkpoint
 * @param pendingRequests   requests waiting to be ordered
 * @param stateTransfer     whether the replica is fetching state from peers
 * @param rejectedMessages  messages dropped because they failed authentication or validation
 * @param heldBatchBytes    bytes of the batch contents the replica holds (those of sequences above its stable checkpoint)
 * @param failure           why the replica stopped (fail-stop after an error), or null while it runs
 */
public record ReplicaStatus(int replicaId, long view, int primary, boolean viewChangeInProgress, long lastExecuted,
                            long stableCheckpoint, int pendingRequests, boolean stateTransfer,
                            long rejectedMessages, long heldBatchBytes, String failure) {

    /** Whether the replica stopped after an error and must be restarted (it recovers from its log). */
    public boolean failed() {
        return failure != null;
    }
}

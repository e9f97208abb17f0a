package org.ehrledger.consensus.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;

import org.junit.jupiter.api.Test;


/** The settings builders refuse values a replica or client cannot run with, naming the setting. */
class SettingsBuildersTest {

    private static void rejected(String setting, Supplier<?> build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        assertTrue(e.getMessage().startsWith(setting + " "), "the message names " + setting + ": " + e.getMessage());
    }

    @Test
    void replicaSettingsOutOfRangeAreRefusedWithTheNameOfTheSetting() {
        rejected("viewChangeTimeoutMillis", () -> ReplicaSettings.builder().viewChangeTimeoutMillis(-1).build());
        rejected("maxViewChangeTimeoutMillis", () -> ReplicaSettings.builder().viewChangeTimeoutMillis(5_000)
                .maxViewChangeTimeoutMillis(1_000).build());
        rejected("batchDelayMillis", () -> ReplicaSettings.builder().batchDelayMillis(-5).build());
        rejected("maxInFlightBatches", () -> ReplicaSettings.builder().maxInFlightBatches(0).build());
        rejected("maxBatchRequests", () -> ReplicaSettings.builder().maxBatchRequests(0).build());
        rejected("maxPendingBytes", () -> ReplicaSettings.builder().maxBatchBytes(1 << 20).maxPendingBytes(1024).build());
        rejected("stateTransferRetryMillis", () -> ReplicaSettings.builder().stateTransferRetryMillis(0).build());
        rejected("replyCacheSize", () -> ReplicaSettings.builder().replyCacheSize(0).build());
    }

    @Test
    void replicaSettingsKeepWhatWasSetAndDefaultTheRest() {
        ReplicaSettings s = ReplicaSettings.builder().maxInFlightBatches(2).batchDelayMillis(0).build();
        assertEquals(2, s.maxInFlightBatches());
        assertEquals(0, s.batchDelayMillis());
        assertEquals(ReplicaSettings.defaults().viewChangeTimeoutMillis(), s.viewChangeTimeoutMillis());
    }

    @Test
    void clientSettingsOutOfRangeAreRefusedWithTheNameOfTheSetting() {
        rejected("retransmitMillis", () -> ClientSettings.builder().retransmitMillis(0).build());
        rejected("maxRetransmitMillis", () -> ClientSettings.builder().retransmitMillis(2_000).maxRetransmitMillis(1_000).build());
        rejected("requestTimeoutMillis", () -> ClientSettings.builder().requestTimeoutMillis(-1).build());
        rejected("maxInFlightRequests", () -> ClientSettings.builder().maxInFlightRequests(0).build());
        rejected("maxBundleOperations", () -> ClientSettings.builder().maxBundleOperations(0).build());
    }
}

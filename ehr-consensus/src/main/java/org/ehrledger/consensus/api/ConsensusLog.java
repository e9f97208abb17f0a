package org.ehrledger.consensus.api;

import java.util.List;

/**
 * Durable write-ahead log of a replica's protocol state. The replica appends a record before it sends
 * any message that depends on it and calls {@link #flush()} before the message leaves, so a replica
 * restarted from its log never contradicts what it said before.
 */
public interface ConsensusLog extends AutoCloseable {

    /** Appends one record (buffered until {@link #flush()}). */
    void append(byte[] record);

    /** Makes every appended record durable. */
    void flush();

    /**
     * Every durable record in append order, as found at start-up: read at recovery. A log may let them go once it
     * is compacted (they are then in the replica's state), so that a long log is not held in memory.
     */
    List<byte[]> readAll();

    /** Atomically replaces the whole log with the given records (compaction at a stable checkpoint). */
    void rewrite(List<byte[]> records);

    /** Releases the underlying resources. */
    @Override
    void close();
}

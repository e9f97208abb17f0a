package org.ehrledger.consensus.log;

import java.util.ArrayList;
import java.util.List;

import org.ehrledger.consensus.api.ConsensusLog;

/**
 * A log kept in memory. Records appended but not flushed are lost by {@link #crash()}, exactly as a
 * process crash loses an unsynced file tail; a test restarts a replica by handing it the same log.
 */
public final class InMemoryConsensusLog implements ConsensusLog {

    private final List<byte[]> durable = new ArrayList<>();
    private final List<byte[]> buffered = new ArrayList<>();

    @Override
    public synchronized void append(byte[] record) {
        buffered.add(record);
    }

    @Override
    public synchronized void flush() {
        durable.addAll(buffered);
        buffered.clear();
    }

    @Override
    public synchronized List<byte[]> readAll() {
        return List.copyOf(durable);
    }

    @Override
    public synchronized void rewrite(List<byte[]> records) {
        buffered.clear();
        durable.clear();
        durable.addAll(records);
    }

    /** Drops what was appended but not flushed, as a crash would. */
    public synchronized void crash() {
        buffered.clear();
    }

    /** Number of durable records. */
    public synchronized int size() {
        return durable.size();
    }

    @Override
    public void close() {
    }
}

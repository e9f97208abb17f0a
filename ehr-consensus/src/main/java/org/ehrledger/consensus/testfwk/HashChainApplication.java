package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.Operation;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.crypto.Digest;
import org.ehrledger.consensus.message.Wire;

/**
 * A small deterministic application: its state is a SHA-256 chain over every executed operation and a
 * count. Each result is the chain value after the request, padded to a configured size, so any
 * divergence between replicas shows up in results, digests and snapshots.
 */
public final class HashChainApplication implements Application {

    private final int resultSize;
    private final Consumer<OrderedBatch> observer;
    private byte[] chain = new byte[32];
    private long count;
    private long lastExecuted;

    /**
     * @param resultSize bytes of each result (at least 32)
     * @param observer   sees every executed batch (for safety checks), may be null
     */
    public HashChainApplication(int resultSize, Consumer<OrderedBatch> observer) {
        this.resultSize = Math.max(32, resultSize);
        this.observer = observer;
    }

    @Override
    public List<byte[]> execute(OrderedBatch batch) {
        List<Operation> operations = batch.operations();
        List<byte[]> results = new ArrayList<>(operations.size());
        for (Operation op : operations) {
            // chain' = SHA-256(chain || client || timestamp || index || SHA-256(payload))
            byte[] input = new Wire.Writer(96).raw(chain).i32(op.clientId()).i64(op.timestamp()).i32(op.index())
                    .digest(Digest.sha256(op.payload())).toBytes();
            chain = Digest.sha256(input).bytes();
            count++;
            results.add(resultSize == 32 ? chain.clone() : Arrays.copyOf(chain, resultSize));
        }
        lastExecuted = batch.sequence();
        if (observer != null) {
            observer.accept(batch);
        }
        return results;
    }

    @Override
    public long lastExecuted() {
        return lastExecuted;
    }

    @Override
    public byte[] snapshot() {
        return new Wire.Writer(48).i64(count).raw(chain).toBytes();
    }

    @Override
    public void restore(byte[] snapshot, long sequence) {
        Wire.Reader r = new Wire.Reader(snapshot);
        count = r.i64();
        chain = r.raw(32);
        r.expectEnd();
        lastExecuted = sequence;
    }

    /** Operations executed so far. */
    public long count() {
        return count;
    }

    /** Current chain value, a digest of the whole execution history. */
    public Digest chain() {
        return Digest.of(chain);
    }
}

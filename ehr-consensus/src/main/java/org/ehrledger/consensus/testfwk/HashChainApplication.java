package org.ehrledger.consensus.testfwk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.Operation;
import org.ehrledger.consensus.api.OrderedBatch;
import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.codec.Wire;

/**
 * A small deterministic application: its state is a SHA-256 chain over every executed operation and a
 * count. Each result is the chain value after the request, padded to a configured size, so any
 * divergence between replicas shows up in results, digests and snapshots.
 */
public final class HashChainApplication implements Application {

    private final int resultSize;
    private final Consumer<OrderedBatch> observer;
    /** Prefix of an operation that revokes a consensus client: {@code revoke-client:<id>}. */
    private static final String REVOKE = "revoke-client:";

    private byte[] chain = new byte[32];
    private long count;
    private long lastExecuted;
    /** Client id to the sequence that revoked it (replicated state, in the snapshot). */
    private final java.util.TreeMap<Integer, Long> revoked = new java.util.TreeMap<>();
    /** Client id to the highest sequence at which one of its operations executed (an observation, not state). */
    private final java.util.Map<Integer, Long> lastSequenceOf = new java.util.HashMap<>();

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
            lastSequenceOf.put(op.clientId(), batch.sequence());
            String text = new String(op.payload(), java.nio.charset.StandardCharsets.UTF_8);
            if (text.startsWith(REVOKE)) {
                revoked.putIfAbsent(Integer.parseInt(text.substring(REVOKE.length())), batch.sequence());
            }
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
        Wire.Writer w = new Wire.Writer(64).i64(count).raw(chain).i32(revoked.size());
        revoked.forEach((client, at) -> w.i32(client).i64(at));
        return w.toBytes();
    }

    @Override
    public void restore(byte[] snapshot, long sequence) {
        Wire.Reader r = new Wire.Reader(snapshot);
        count = r.i64();
        chain = r.raw(32);
        revoked.clear();
        int n = r.i32();
        for (int i = 0; i < n; i++) {
            revoked.put(r.i32(), r.i64());
        }
        r.expectEnd();
        lastExecuted = sequence;
    }

    @Override
    public long clientRevokedAt(int clientId) {
        return revoked.getOrDefault(clientId, 0L);
    }

    /** The operation that revokes a consensus client when it executes. */
    public static byte[] revokeOperation(int clientId) {
        return (REVOKE + clientId).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The highest sequence at which an operation of the client executed here (0 if none). */
    public long lastSequenceOf(int clientId) {
        return lastSequenceOf.getOrDefault(clientId, 0L);
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

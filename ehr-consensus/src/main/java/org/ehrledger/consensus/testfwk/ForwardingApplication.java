package org.ehrledger.consensus.testfwk;

import java.util.List;

import org.ehrledger.consensus.api.Application;
import org.ehrledger.consensus.api.OrderedBatch;

/** An application that passes every call to another one; tests override what they observe or break. */
public class ForwardingApplication implements Application {

    /** The application every call goes to. */
    protected final Application inner;

    /** Forwards to {@code inner}. */
    public ForwardingApplication(Application inner) {
        this.inner = inner;
    }

    @Override
    public List<byte[]> execute(OrderedBatch batch) {
        return inner.execute(batch);
    }

    @Override
    public long lastExecuted() {
        return inner.lastExecuted();
    }

    @Override
    public byte[] snapshot() {
        return inner.snapshot();
    }

    @Override
    public void restore(byte[] snapshot, long sequence) {
        inner.restore(snapshot, sequence);
    }

    @Override
    public long clientRevokedAt(int clientId) {
        return inner.clientRevokedAt(clientId);
    }
}

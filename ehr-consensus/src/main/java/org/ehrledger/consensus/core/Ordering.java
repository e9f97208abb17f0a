package org.ehrledger.consensus.core;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Batch;
import org.ehrledger.consensus.message.PrePrepare;

/**
 * What view changes, state transfer and recovery ask of the normal case ({@link NormalCase}). Like the
 * small interfaces between SmartBFT's components, it lets each phase be tested with a fake of the others.
 */
interface Ordering {

    /** The content of the batch with this digest if this replica holds it (the null batch always), else null. */
    Batch batchFor(Digest digest);

    /** Keeps a batch's content (logged once) so the slots that name it can prepare and execute. */
    void storeBatch(Batch batch);

    /** Whether accepting {@code digest} at the slot's sequence contradicts a batch this replica already decided there. */
    boolean contradictsDecision(Slot slot, Digest digest);

    /** Accepts a pre-prepare (with or without its batch) into a slot and logs it. */
    void accept(Slot slot, PrePrepare prePrepare);

    /** Sends this replica's prepare for the slot's pre-prepare, deferred until the batch content is here. */
    void sendPrepare(Slot slot);

    /** Re-examines every slot for prepared and committed certificates, then executes what it can. */
    void recheckAll();

    /** Executes every committed batch that is next in sequence and whose content is known. */
    void tryExecute();

    /** Proposes batches while this replica is the primary, has requests and has room in the pipeline. */
    void tryPropose();
}

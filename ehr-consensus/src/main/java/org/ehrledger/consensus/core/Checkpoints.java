package org.ehrledger.consensus.core;

import java.util.List;

import org.ehrledger.consensus.codec.Digest;
import org.ehrledger.consensus.message.Checkpoint;

/** What the normal case, view changes, state transfer and recovery ask of {@link Checkpointing}. */
interface Checkpoints {

    /** Takes and announces this replica's checkpoint of the state just after executing {@code sequence}. */
    void take(long sequence);

    /** Re-sends this replica's newest checkpoint (its first copies may be lost). */
    void retransmitLatest();

    /** Adopts the checkpoint a new view starts from, fetching its state if this replica does not hold it. */
    void adopt(long sequence, List<Checkpoint> proof);

    /** Installs a snapshot certified for {@code sequence}; the application is restored if behind or {@code force}. */
    void install(long sequence, byte[] snapshot, boolean force);

    /** Makes a certified checkpoint stable (snapshot null while its state is still to be fetched). */
    void makeStable(long sequence, Digest digest, List<Checkpoint> proof, byte[] snapshot);

    /** A checkpoint proof learned from a peer for state this replica may already hold. */
    void onCertified(long sequence, Digest digest, List<Checkpoint> proof);

    /** Forgets checkpoint votes and own snapshots at or below {@code sequence} (after installing state). */
    void forgetUpTo(long sequence);
}

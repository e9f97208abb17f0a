package org.ehrledger.consensus.api;

/** Checks transferable signatures of replicas and clients. Must be thread-safe. */
public interface Verifier {

    /** True when {@code signature} is a valid signature of {@code message} by node {@code signer}. */
    boolean verify(int signer, byte[] message, byte[] signature);

    /** True when the node is a client of the directory (its key is known); revocation is judged in order. */
    boolean isKnownClient(int clientId);
}

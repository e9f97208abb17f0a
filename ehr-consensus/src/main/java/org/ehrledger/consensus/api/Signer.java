package org.ehrledger.consensus.api;

/** Produces this node's transferable signatures (Ed25519 by default). */
public interface Signer {

    /** The id of the node whose key signs. */
    int id();

    /** Signs a message. */
    byte[] sign(byte[] message);
}

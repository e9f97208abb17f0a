package org.ehrledger.consensus.api;

/**
 * Best-effort delivery of opaque messages between nodes named by integer ids (replicas are
 * {@code 0..n-1}, clients have ids of their own). The protocol tolerates loss, duplication and
 * reordering; authentication is done above the transport.
 */
public interface Transport extends AutoCloseable {

    /** Receives every message addressed to this node. Called from transport threads. */
    @FunctionalInterface
    interface Receiver {
        /** Handles one inbound message. */
        void receive(byte[] message);
    }

    /** Installs the receiver; must be called before {@link #start()}. */
    void setReceiver(Receiver receiver);

    /** Connects to the network. */
    void start() throws Exception;

    /** Sends a message to one node; never blocks for long and silently drops what cannot be sent. */
    void send(int destination, byte[] message);

    /** Disconnects and releases threads and sockets. */
    @Override
    void close();
}

package org.ehrledger.consensus.api;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Mutual TLS 1.3 between nodes of one network, with the genesis keys as the only trust: a host opens its own
 * connections to other replicas with it (e.g. to fetch blocks). Obtained from the genesis directory of the
 * node package.
 */
public interface PeerTls {

    /** The TLS context holding this node's certificate and trusting exactly the genesis keys. */
    SSLContext context();

    /** Parameters for a connection this node opens. */
    SSLParameters clientParameters();

    /** Parameters for a connection this node accepts (the peer must present its certificate). */
    SSLParameters serverParameters();

    /** The authenticated node id of the peer of a completed handshake. */
    int peerOf(SSLSession session) throws SSLPeerUnverifiedException;
}

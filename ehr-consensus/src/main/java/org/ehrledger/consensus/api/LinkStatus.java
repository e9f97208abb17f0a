package org.ehrledger.consensus.api;

/**
 * What a replica's links to the other nodes turned away since it started: an operator's view of attacks and
 * misconfiguration at the transport. On a healthy network {@code droppedFrames}, {@code rejectedPeers} and
 * {@code refusedAddresses} stay at 0; {@code unroutable} and {@code failedHandshakes} grow while peers start,
 * stop or are unreachable.
 *
 * @param tls              whether the links are TLS 1.3 between holders of genesis keys (the TLS counts stay 0
 *                         without it)
 * @param unroutable       frames not sent: no node bound to the destination yet, the channel closed, or the
 *                         destination out of reach
 * @param rejectedHellos   hellos rejected: malformed, unknown node, bad signature, wrong address or a replayed
 *                         older incarnation
 * @param droppedFrames    frames dropped because their claimed sender is not the node bound to the address they
 *                         came from
 * @param rejectedPeers    TLS peers turned away because their certificate does not carry a genesis key
 * @param failedHandshakes TLS handshakes that failed or timed out (including those of rejected peers)
 * @param refusedAddresses authenticated TLS peers refused because they claimed, or answered at, an address of
 *                         another node
 * @param overflowedLinks  connections closed because their peer left too much unread (a paused or Byzantine peer)
 */
public record LinkStatus(boolean tls, long unroutable, long rejectedHellos, long droppedFrames, long rejectedPeers,
                         long failedHandshakes, long refusedAddresses, long overflowedLinks) {
}

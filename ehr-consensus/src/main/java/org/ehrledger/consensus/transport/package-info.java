/**
 * The production transport over JGroups (TCP, TCPPING, no multicast): TLS 1.3 with the genesis keys on every link
 * (unless a host turns it off), node ids bound to JGroups addresses only by signed hellos, and JGroups' own address
 * tables kept true to them. {@link org.ehrledger.consensus.transport.LinkTls} is also the
 * {@link org.ehrledger.consensus.api.PeerTls} a host gets from its genesis directory for links of its own
 * between replicas.
 */
package org.ehrledger.consensus.transport;

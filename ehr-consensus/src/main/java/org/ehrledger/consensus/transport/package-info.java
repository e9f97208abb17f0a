/**
 * The production transport over JGroups (TCP, TCPPING, no multicast): TLS 1.3 with the genesis keys on every link
 * (unless a host turns it off), node ids bound to JGroups addresses only by signed hellos, and JGroups' own address
 * tables kept true to them. {@link org.ehrledger.consensus.transport.LinkTls} also serves hosts that open TLS links
 * of their own between replicas.
 */
package org.ehrledger.consensus.transport;

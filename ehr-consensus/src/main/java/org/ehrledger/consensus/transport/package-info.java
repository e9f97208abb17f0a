/**
 * The production transport over JGroups (TCP, TCPPING, no multicast): TLS 1.3 with the genesis keys on every link,
 * node ids bound to JGroups addresses only by signed hellos, and JGroups' own address tables kept true to them.
 */
package org.ehrledger.consensus.transport;

/** The production transport over JGroups (TCP, TCPPING, no multicast). */
package org.ehrledger.consensus.transport;

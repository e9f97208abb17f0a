/** The PBFT client: signs requests and accepts a result once f+1 replicas reply with it. */
package org.ehrledger.consensus.client;

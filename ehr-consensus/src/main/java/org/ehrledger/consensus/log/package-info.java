/** Implementations of the write-ahead {@link org.ehrledger.consensus.api.ConsensusLog}. */
package org.ehrledger.consensus.log;

/**
 * How a host runs a replica: {@link org.ehrledger.consensus.node.ConsensusNode} builds one from a
 * {@link org.ehrledger.consensus.node.GenesisDirectory} (the one definition of that directory's layout) and
 * wires the protocol core, its JGroups links, its write-ahead log and the host's own client. The composition
 * root of the library: it depends on every other package and none depends on it, so {@code api} stays free
 * of the implementation.
 */
package org.ehrledger.consensus.node;

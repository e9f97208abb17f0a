/**
 * Command-line entry points of the consensus benchmark ({@code ci/bench-consensus.sh}): run one replica
 * per JVM over JGroups and drive closed-loop clients (the genesis comes from
 * {@link org.ehrledger.consensus.tool.GenesisTool}).
 */
package org.ehrledger.consensus.bench;

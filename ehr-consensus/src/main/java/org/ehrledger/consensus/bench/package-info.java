/**
 * Command-line entry points of the consensus benchmark ({@code ci/bench-consensus.sh}): generate a
 * genesis configuration, run one replica per JVM over JGroups, and drive closed-loop clients.
 */
package org.ehrledger.consensus.bench;

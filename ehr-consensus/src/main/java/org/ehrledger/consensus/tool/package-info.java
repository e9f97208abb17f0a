/**
 * Operator tools run from the command line: {@link org.ehrledger.consensus.tool.GenesisTool} creates a
 * new network's genesis directory ({@code ci/cluster.sh}, {@code ci/bench-consensus.sh} and
 * {@code ci/server-smoke.sh} call it).
 */
package org.ehrledger.consensus.tool;
